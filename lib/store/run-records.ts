/**
 * The run records, built by one module that both runtimes call: the run head (`run/<runId>`) when a
 * run starts, when a start is refused and when it ends; the stage record of a transition (where the
 * run parks, or its end); the invoke record of a task attempt; the result record of its outcome. The
 * documents' types and ids are in run-documents.ts; `whiskflow status`/`runs`/`logs` and the
 * dashboard read them the same way whichever runtime made them (lib/runs/run-view.ts).
 *
 * The native runtime stores each record as it is decided, create-only (lib/store/claims.ts: who
 * creates it first decides); the streaming engine stores only heads and builds its stage, invoke and
 * result records with the same builders from its checkpoint when a view is read
 * (lib/runtimes/streaming/run-view-source.ts), so a task costs it no document.
 *
 * Every head write is idempotent: a head is created once (create-only) and ended once (only a running
 * head is ended), so a batch or an event handled again after a crash rewrites nothing.
 */
import type { Json } from '../model/json';
import type { RunState } from '../core/run-state';
import { hasErrorCode } from '../errors';
import { claim, updateWithRetry } from './claims';
import { docIds, type InvokeDoc, type ResultDoc, type RunDoc, type RunFailure, type StageDoc, type TaskAttempt } from './run-documents';
import type { RunStore, StoredDoc } from './run-store';

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

/** Where a task attempt's records are kept: its run, transition `position`, task slot `index` and attempt. */
export interface RecordedAttempt { runId: string; position: number; index: number; attempt: number }

/** The head of a run that starts running; `extra`: what a runtime keeps on its heads besides (native: the definition, trigger, ...). */
export function runningHead<E extends object = object>(
  fields: Pick<RunDoc, 'runId' | 'workflow' | 'input' | 'startedAt'> & { startedBy?: string; parent?: TaskAttempt },
  extra?: E,
): RunDoc & E {
  return { type: 'run', ...fields, status: 'running', ...(extra ?? {}) } as RunDoc & E;
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

/**
 * Records the end of run `runId` on its head, unless it ended already. `known`: the head as this
 * process holds it (created or read earlier, with its revision): the first compare-and-swap uses
 * it without a read, since a revision that still matches is that very content; any conflict (the
 * head changed since: a cancel, another end) goes through the read-and-retry loop as before.
 */
export async function endRunHead(store: RunStore, runId: string, end: RunEnd, endedAt: number, known?: RunDoc): Promise<void> {
  const held = known as Partial<StoredDoc<RunDoc>> | undefined;
  if (held && typeof held._rev === 'string' && held._id === docIds.run(runId)) {
    const next = endedHead(held as StoredDoc<RunDoc>, end, endedAt);
    if (next) {
      try {
        await store.replace(next);
        return;
      } catch (error) {
        if (!hasErrorCode(error, 'STORE_CONFLICT')) throw error;
      }
    }
  }
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
 * The stage record of the `position`-th transition of a run: the stage it parks at, entered with
 * `data`, with its task count and window, or its end (`stageId` END_STAGE with `end`).
 */
export function stageRecord(fields: Omit<StageDoc, 'type'>): StageDoc {
  return { type: 'stage', ...fields };
}

/** The invoke record of one task attempt, claimed at `claimedAt`; `fields`: who claimed it, its activation once invoked, ... */
export function invokeRecord(task: RecordedAttempt, claimedAt: number, fields: Omit<InvokeDoc, 'type' | 'runId' | 'position' | 'index' | 'attempt' | 'claimedAt'> = {}): InvokeDoc {
  return { type: 'invoke', runId: task.runId, position: task.position, index: task.index, attempt: task.attempt, claimedAt, ...fields };
}

/**
 * The result record of one task attempt's outcome (`position` is that of the stage record it belongs to).
 * A success carries its value where the runtime keeps it in the record (native joins read it there;
 * a streaming run's values are in its checkpoint).
 */
export function resultRecord(
  task: RecordedAttempt,
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
  const engine: RunEngine = 'stream';
  return runningHead(
    { runId: state.runId, workflow: state.workflow.name, input: state.input, startedAt: Date.parse(state.startedAt) },
    { version: state.workflow.version, engine },
  );
}
