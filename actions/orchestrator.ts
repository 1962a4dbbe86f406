/**
 * OpenWhisk entry point of the native orchestrator (`whiskflow/orchestrator`), the target of each
 * workflow's rule. Thin: split configuration from the event, build the store and the client, hand
 * the event to lib/runtimes/native, map errors to `{ error }`.
 *
 * Parameters: the trigger fire's payload (a CloudEvent in structured JSON, or a plain start
 * payload), over the trigger's `whiskflowWorkflow` and `whiskflowSeal` parameters, over the action's
 * own (`final`) `whiskflowStore` and `whiskflowEventKey`. Events that are not authentic (event-auth.ts)
 * are refused before anything else happens.
 */
import { handleEvent } from '../lib/runtimes/native/orchestrator';
import { parseEvent } from '../lib/runtimes/native/events';
import { OpenWhiskTaskInvoker } from '../lib/runtimes/native/invoker';
import { platformClient } from '../lib/openwhisk/client';
import { tracedInvoker, tracedStore, withTrace } from '../lib/runtimes/native/activation-trace';
import type { JsonObject } from '../lib/model/json';
import type { OrchestratorEvent } from '../lib/runtimes/native/events';
import { storeOfAction } from '../lib/runtimes/native/action-stores';
import type { RunStore } from '../lib/store/run-store';
import { toActionError } from '../lib/runtimes/native/action-error';
import { recordFailedStart } from '../lib/runtimes/native/failed-start';
import { authenticate, recordRejection } from '../lib/runtimes/native/event-auth';
import { EVENT_KEY_PARAM, SEAL_PARAM } from '../lib/openwhisk/names';

export async function main(params: JsonObject): Promise<JsonObject> {
  const started = performance.now();
  try {
    const { whiskflowStore, whiskflowWorkflow, whiskflowDefinition, [EVENT_KEY_PARAM]: eventKey, [SEAL_PARAM]: seal, ...eventParams } = params;
    // Everything below reads this activation's environment before its first await: with
    // `limits.concurrency` > 1 another activation's /run may change process.env afterwards.
    const store = tracedStore(storeOfAction(whiskflowStore));
    const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + 60_000;
    const client = platformClient();
    const workflow = typeof whiskflowWorkflow === 'string' ? whiskflowWorkflow : '';
    const activationId = process.env.__OW_ACTIVATION_ID;
    const ctx = {
      store,
      invoker: tracedInvoker(new OpenWhiskTaskInvoker(client, () => deadline - 5_000, typeof eventKey === 'string' ? eventKey : undefined)),
      namespace: process.env.__OW_NAMESPACE ?? '_',
      activationId: activationId ?? 'unknown',
    };
    const event = parseEvent(eventParams, workflow, activationId);
    const verdict = authenticate(event, {
      workflow, seal, ...(typeof eventKey === 'string' ? { eventKey } : {}), ...(whiskflowDefinition !== undefined ? { definition: whiskflowDefinition } : {}),
    });
    if (!verdict.accepted) {
      await recordRejection(store, event, verdict.reason);
      return { outcome: 'rejected', reason: verdict.reason, ...(event.type === 'run.started' || event.type === 'external' ? {} : { runId: event.task.runId }) };
    }
    try {
      const withDefined = withDefinition(event, whiskflowDefinition);
      // A wskdeploy deployment created no database: its first start does (once per warm container).
      if (withDefined.type === 'run.started' && withDefined.definition) await readyOnce(store);
      const { value: outcome, trace } = await withTrace(() => handleEvent(ctx, withDefined));
      return { ...outcome, trace: { ...trace, totalMs: Math.round(performance.now() - started) } };
    } catch (error) {
      // A refused start shows as a failed run (lib/runtimes/native/failed-start.ts); the activation still fails.
      const runId = event.type === 'run.started' ? await recordFailedStart(ctx, event, error) : undefined;
      return { ...toActionError(error), ...(runId ? { runId } : {}) };
    }
  } catch (error) {
    return toActionError(error);
  }
}

const ready = new WeakMap<RunStore, Promise<void>>();
function readyOnce(store: RunStore): Promise<void> {
  const known = ready.get(store);
  if (known) return known;
  const made = store.ensureReady();
  // A failed creation is tried again by the next start.
  made.catch(() => ready.delete(store));
  ready.set(store, made);
  return made;
}

/** A definition on the trigger (wskdeploy deployments) is validated like a workflow file. */
function withDefinition(event: OrchestratorEvent, definition: unknown): OrchestratorEvent {
  if (event.type !== 'run.started' || definition === undefined) return event;
  // Loaded on first use (~90 ms of schema and YAML code): only wskdeploy deployments need it.
  const { toWorkflow } = require('../lib/model/parse') as typeof import('../lib/model/parse');
  return { ...event, definition: toWorkflow(definition) };
}
