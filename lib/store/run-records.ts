/**
 * The run records, written by one module that both runtimes call: the run head (`run/<runId>`) when
 * a run starts, when a start is refused, and when the run ends, and the result record of a task's
 * outcome. The documents' shapes and ids are in run-documents.ts; `whiskflow status`/`runs`/`logs`
 * and the dashboard read them the same way whichever runtime wrote them (lib/runs/run-view.ts).
 *
 * Every write is idempotent: a head is created once (create-only) and ended once (only a running
 * head is ended), so a batch or an event handled again after a crash rewrites nothing.
 */
import type { Json } from '../model/json';
import type { RunState } from '../core/run-state';
import { claim, updateWithRetry } from './claims';
import { docIds, type ResultDoc, type RunDoc, type RunFailure } from './run-documents';
import type { RunStore } from './run-store';

/** How a run ended, as its head records it. */
export interface RunEnd {
  status: 'succeeded' | 'failed' | 'cancelled';
  output?: Json;
  failure?: RunFailure;
}

/** Which runtime wrote a head: absent for the native orchestrator (heads written before this mark had none). */
export type RunEngine = 'stream';

/** A head the streaming engines wrote says so (its view records are derived from its checkpoint). */
export function isStreamRun(run: RunDoc): boolean {
  return (run as RunDoc & { engine?: string }).engine === 'stream';
}

/** Creates the head of a run (running, or already ended for a refused start); false when it existed. */
export async function createRunHead<T extends RunDoc>(store: RunStore, head: T): Promise<boolean> {
  return (await claim<T>(store, docIds.run(head.runId), head)).won;
}

/** The head of a start that was refused: the run ends as it begins, with the refusal as its failure. */
export function refusedStartHead(fields: Pick<RunDoc, 'runId' | 'workflow' | 'input'> & { startedBy?: string }, failure: RunFailure, at: number): RunDoc {
  return { type: 'run', ...fields, status: 'failed', startedAt: at, endedAt: at, failure };
}

/** The head with `end` recorded, or undefined when it had ended already (the first end stays). */
export function endedHead<T extends RunDoc>(current: T, end: RunEnd, endedAt: number): T | undefined {
  if (current.status !== 'running') return undefined;
  return {
    ...current, status: end.status, endedAt,
    ...(end.output !== undefined ? { output: end.output } : {}), ...(end.failure ? { failure: end.failure } : {}),
  };
}

/** Records the end of run `runId` on its head, unless it ended already. */
export async function endRunHead(store: RunStore, runId: string, end: RunEnd, endedAt: number): Promise<void> {
  await updateWithRetry<RunDoc>(store, docIds.run(runId), (current) => endedHead(current, end, endedAt));
}

/** The end the core's state of a finished run means; undefined while it runs. */
export function runEndOf(state: RunState): RunEnd | undefined {
  if (state.status === 'running') return undefined;
  if (state.status === 'succeeded') return { status: 'succeeded', output: state.result ?? null };
  const error = state.error;
  const failure: RunFailure = { error: error?.error ?? 'whiskflow.Failed', cause: error?.cause ?? error?.error ?? 'unknown' };
  if (error?.stageId !== undefined) failure.stageId = error.stageId;
  if (error?.activationId !== undefined) failure.activationId = error.activationId;
  return { status: state.status, failure };
}

/**
 * The result record of one task attempt's outcome (`position` is that of the stage record it belongs to).
 * A success carries its value where the runtime keeps it in the record (native joins read it there;
 * a streaming run's values are in its checkpoint).
 */
export function resultRecord(
  task: { runId: string; position: number; index: number; attempt: number },
  outcome: { ok: true; result?: Json } | { ok: false; failure: RunFailure },
  completedAt: number,
  activationId?: string,
): ResultDoc {
  return {
    type: 'result', runId: task.runId, position: task.position, index: task.index, attempt: task.attempt,
    ...outcome, completedAt, ...(activationId !== undefined ? { activationId } : {}),
  };
}

/** The head of a run the core's state starts, as the streaming engines write it (marked `engine: 'stream'`). */
export function startedHead(state: RunState): RunDoc & { engine: RunEngine; version: string } {
  return {
    type: 'run', runId: state.runId, workflow: state.workflow.name, version: state.workflow.version, input: state.input,
    status: 'running', startedAt: Date.parse(state.startedAt), engine: 'stream',
  };
}
