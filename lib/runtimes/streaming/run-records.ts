/**
 * The run heads (`run/<runId>`) the CLI's `status` and `runs` read, written for streaming runs in
 * the same shape as the native orchestrator writes them. Both writes are idempotent, so a batch that
 * is applied again after a crash rewrites nothing: the head is created once, and finished once.
 */
import { claim, updateWithRetry } from '../../store/claims';
import { docIds, type RunDoc, type RunFailure } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import type { RunState } from '../../core/run-state';

/** A run head written by the streaming engine says so, for `status` to show where it ran. */
export type StreamRunDoc = RunDoc & { engine: 'stream'; version: string };

export async function recordRunStarted(store: RunStore, state: RunState): Promise<void> {
  await claim<StreamRunDoc>(store, docIds.run(state.runId), {
    type: 'run',
    runId: state.runId,
    workflow: state.workflow.name,
    version: state.workflow.version,
    input: state.input,
    status: 'running',
    startedAt: Date.parse(state.startedAt),
    engine: 'stream',
  });
}

export async function recordRunFinished(store: RunStore, state: RunState): Promise<void> {
  if (state.status === 'running') return;
  const status = state.status;
  await updateWithRetry<StreamRunDoc>(store, docIds.run(state.runId), (current) => {
    if (current.status !== 'running') return undefined;
    const finished = { ...current, status, endedAt: Date.parse(state.finishedAt ?? state.updatedAt) };
    if (status === 'succeeded') return { ...finished, output: state.result ?? null };
    return { ...finished, failure: toFailure(state) };
  });
}

function toFailure(state: RunState): RunFailure {
  const error = state.error;
  const failure: RunFailure = { error: error?.error ?? 'whiskflow.Failed', cause: error?.cause ?? error?.error ?? 'unknown' };
  if (error?.stageId !== undefined) failure.stageId = error.stageId;
  if (error?.activationId !== undefined) failure.activationId = error.activationId;
  return failure;
}
