/**
 * `whiskflow/sweeper`: re-delivers completions that never reached the orchestrator (its activation
 * died after the rule started it), so that a stalled run goes on; see lib/runtimes/native/sweep.ts.
 * Deployed with every runtime; `whiskflow deploy --sweep-cron <expr>` runs it from an alarms trigger.
 *
 * Parameters: its own (`final`) `whiskflowStore` and `whiskflowEventKey`; optional `staleAfterMs` (default 120000) and `runIds`.
 * Also starts attempts whose orchestrator died between claiming and invoking them, and fires again
 * a `run.started` that never created its run (optional `startLookbackMs`, default 3600000, and
 * `startActivationsLimit`, default 1000 per trigger, bound the trigger activations read for it).
 */
import { toActionError } from '../lib/runtimes/native/action-error';
import { platformClient } from '../lib/openwhisk/client';
import { OpenWhiskTaskInvoker } from '../lib/runtimes/native/invoker';
import type { StartWindow } from '../lib/runtimes/native/lost-starts';
import { DEFAULT_STALE_AFTER_MS, sweepRuns } from '../lib/runtimes/native/sweep';
import type { JsonObject } from '../lib/model/json';
import { createRunStore, storeConfigOfAction } from '../lib/store/config';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const store = createRunStore(storeConfigOfAction(params.whiskflowStore));
    const staleAfterMs = typeof params.staleAfterMs === 'number' ? params.staleAfterMs : DEFAULT_STALE_AFTER_MS;
    const runIds = Array.isArray(params.runIds) ? params.runIds.filter((id): id is string => typeof id === 'string') : undefined;
    const client = platformClient();
    const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + 60_000;
    // Attempts claimed but never invoked are started as the orchestrator would (after the claim lease).
    const eventKey = typeof params.whiskflowEventKey === 'string' ? params.whiskflowEventKey : undefined;
    const resume = { invoker: new OpenWhiskTaskInvoker(client, () => deadline - 5_000, eventKey), namespace: process.env.__OW_NAMESPACE ?? '_', activationId: process.env.__OW_ACTIVATION_ID ?? 'whiskflow-sweeper' };
    const report = await sweepRuns({ store, client, staleAfterMs, resume, startWindow: startWindowOf(params), ...(eventKey ? { eventKey } : {}) }, runIds);
    return report as unknown as JsonObject;
  } catch (error) {
    return toActionError(error);
  }
}

function startWindowOf(params: JsonObject): StartWindow {
  return {
    ...(typeof params.startLookbackMs === 'number' ? { lookbackMs: params.startLookbackMs } : {}),
    ...(typeof params.startActivationsLimit === 'number' ? { maxActivations: params.startActivationsLimit } : {}),
  };
}
