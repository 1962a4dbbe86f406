/**
 * The stage, invoke and result records `whiskflow status`/`logs` assemble a run's view from, for a
 * streaming run: derived from its checkpointed context (the state's task records plus the
 * stage-visit numbering, stage-visits.ts) rather than read as documents, which the Condition Engine
 * does not write. Built by the builders the native runtime stores its records with
 * (lib/store/run-records.ts), so one view serves both models.
 */
import { formatTaskKey, parseTaskKey, type TaskKey } from '../../events/task-key';
import type { InvokeDoc, ResultDoc, RunDoc, RunFailure, StageDoc } from '../../store/run-documents';
import { invokeRecord, resultRecord, stageRecord } from '../../store/run-records';
import type { RunStore } from '../../store/run-store';
import type { RunState, TaskRecord } from '../../core/run-state';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointChunkError } from './context-chunks';
import { ContextStore } from './context-store';
import type { StreamRunContext } from './run-context';
import { visitKey } from './stage-visits';

export interface ViewRecords {
  stages: StageDoc[];
  invokes: InvokeDoc[];
  results: ResultDoc[];
}

/** Attempts at reading a context that is being rewritten (see `streamViewRecords`). */
const READ_ATTEMPTS = 20;
const READ_RETRY_MS = 50;

/**
 * The view records of streaming run `run`, or undefined when its context numbers no stage visits:
 * a run checkpointed before views were derived, whose documents were written instead (or one that
 * never got a context, such as a start naming an unknown workflow).
 *
 * The engine finishes a run's head just before it checkpoints the context that finished it, and
 * deletes a finished run's chunks right after: a reader in between sees a finished head over a
 * running context, or a chunk gone. Either passes within a write, so it reads again.
 */
export async function streamViewRecords(store: RunStore, run: RunDoc, withInvokes = true): Promise<ViewRecords | undefined> {
  const contexts = new ContextStore(store);
  for (let attempt = 1; ; attempt += 1) {
    let context: StreamRunContext | undefined;
    try {
      context = await contexts.load(run.runId);
    } catch (error) {
      if (attempt >= READ_ATTEMPTS || !(error instanceof CheckpointChunkError)) throw error;
      await sleep(READ_RETRY_MS);
      continue;
    }
    if (!context?.stageVisits) return undefined;
    const behindHead = run.status !== 'running' && context.state.status === 'running';
    if (!behindHead || attempt >= READ_ATTEMPTS) return viewRecordsOf(context, withInvokes);
    await sleep(READ_RETRY_MS);
  }
}

/**
 * Pure: the records of `context`, invokes and results in (position, index, attempt) order as listed
 * natively. Without `withInvokes` (a status, not the logs) the invokes are left out, as the native
 * listing leaves out the claims: a wide map's status then builds no record per attempt.
 */
export function viewRecordsOf(context: StreamRunContext, withInvokes = true): ViewRecords {
  const { state } = context;
  const visits = context.stageVisits ?? {};
  const stages = Object.values(visits).sort((a, b) => a.position - b.position).map((visit) => stageRecord({
    runId: state.runId, position: visit.position, stageId: visit.stageId, data: null,
    taskCount: visit.taskCount, window: visit.taskCount, startedAt: visit.startedAt, claimedBy: 'stream',
  }));
  const invokes: InvokeDoc[] = [];
  const results: ResultDoc[] = [];
  for (const record of Object.values(state.tasks)) {
    const key = parseTaskKey(record.taskKey);
    const visit = visits[visitKey(key.stageId, key.seq)];
    if (!visit) continue;
    if (withInvokes) {
      const claimedAt = Date.parse(record.startedAt);
      const invoked = record.activationId !== undefined ? { activationId: record.activationId, invokedAt: claimedAt } : {};
      invokes.push(invokeRecord({ runId: state.runId, position: visit.position, index: key.index, attempt: key.attempt }, claimedAt, invoked));
    }
    if (record.status !== 'started' && isFinal(state, record, key)) results.push(resultOf(state.runId, visit.position, key, record));
  }
  const order = (a: InvokeDoc | ResultDoc, b: InvokeDoc | ResultDoc) => a.position - b.position || a.index - b.index || a.attempt - b.attempt;
  return { stages, invokes: invokes.sort(order), results: results.sort(order) };
}

/** A failed attempt with a retry already scheduled is not the slot's outcome. */
function isFinal(state: RunState, record: TaskRecord, key: TaskKey): boolean {
  if (record.status === 'succeeded') return true;
  return state.tasks[formatTaskKey({ ...key, attempt: key.attempt + 1 })] === undefined;
}

function resultOf(runId: string, position: number, key: TaskKey, record: TaskRecord): ResultDoc {
  const completedAt = Date.parse(record.endedAt ?? record.startedAt);
  const task = { runId, position, index: key.index, attempt: key.attempt };
  if (record.status === 'succeeded') return resultRecord(task, { ok: true }, completedAt, record.activationId);
  const name = record.error?.error ?? (record.status === 'timed-out' ? 'whiskflow.Timeout' : 'whiskflow.ActionFailed');
  const failure: RunFailure = { error: name, cause: record.error?.cause ?? name, stageId: record.stageId };
  if (record.activationId !== undefined) failure.activationId = record.activationId;
  return resultRecord(task, { ok: false, failure }, completedAt, record.activationId);
}
