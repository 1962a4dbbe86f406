/**
 * Starting a run from outside (CLI, demo, tests) and following it: fire the workflow's trigger with
 * a `dev.whiskflow.run.started` event whose run id is chosen here, then read the store.
 */
import { WhiskflowError } from '../errors';
import type { Json } from '../model/json';
import { newRunId, type RunDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import { workflowTrigger } from '../openwhisk/names';
import { runStartedEvent, toPayload } from '../runtimes/native/events';
import { describeRun, type RunView } from './run-view';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliverEvent } from '../openwhisk/deliver';
import type { DeliveryClient } from '../openwhisk/client';

export async function requestRun(client: DeliveryClient, workflow: string, input: Json): Promise<{ runId: string; triggerActivationId?: string }> {
  const runId = newRunId();
  const fired = await deliverEvent(client, workflowTrigger(workflow), workflow, toPayload(runStartedEvent(workflow, runId, input)), Date.now() + 120_000);
  if (!fired.triggerActivationId) {
    // OpenWhisk answers 204 without an activation when the trigger has no active rule.
    throw new WhiskflowError('ENTITY_NOT_FOUND', `trigger ${workflowTrigger(workflow)} has no active rule: deploy the workflow first (whiskflow deploy)`, { workflow });
  }
  return { runId, triggerActivationId: fired.triggerActivationId };
}

export interface WaitOptions {
  /** Give up after this long (ms). @default 300000 */
  timeoutMs?: number;
  /** @default 250 */
  pollMs?: number;
  onProgress?: (view: RunView) => void;
}

/** Polls the store until the run ends; returns its final head. */
export async function waitForRun(store: RunStore, runId: string, options: WaitOptions = {}): Promise<RunDoc> {
  const giveUpAt = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    const view = await describeRun(store, runId, false);
    if (view) {
      options.onProgress?.(view);
      if (view.run.status !== 'running') return view.run;
    }
    if (Date.now() > giveUpAt) {
      // A start lost between the trigger and the orchestrator is what `whiskflow sweep` can repair.
      const hint = view ? '' : `; if its start was lost, 'whiskflow sweep ${runId}' fires it again once it is older than --stale-after`;
      throw new WhiskflowError('TIMEOUT', `run ${runId} ${view ? 'is still running' : 'has not started'} after ${options.timeoutMs ?? 300_000} ms${hint}`, { runId }, true);
    }
    await sleep(options.pollMs ?? 250);
  }
}
