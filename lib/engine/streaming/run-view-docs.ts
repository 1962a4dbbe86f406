/**
 * The per-stage and per-task documents `whiskflow logs` reads (lib/store/run-documents.ts: stage,
 * invoke, result), derived from the run state so that streaming runs show in `logs` like native
 * ones. Pure: given the state before and after a batch, it returns the documents that appeared or
 * changed. The writes are create-only (or last-writer-wins for an activation id learnt later), so
 * re-applying a batch after a crash writes nothing new.
 *
 * Native stage documents are numbered by the run's n-th transition (`seq`), task keys by the n-th
 * visit of one stage; `viewSeqs` maps `<stageId>:<visit>` to that global number (and the stage's
 * task count), in the order the
 * stage visits first started a task, and is checkpointed with the run context.
 */
import { parseTaskKey, type TaskKey } from '../../events/task-key';
import { docIds, type InvokeDoc, type ResultDoc, type RunFailure, type StageDoc } from '../../store/run-documents';
import type { RunState, TaskRecord } from '../run-state';

/** Per stage visit: its number and task count (result ids are bucketed by the count). */
export type ViewSeqs = Record<string, { seq: number; taskCount: number }>;

export interface ViewDoc {
  id: string;
  body: StageDoc | InvokeDoc | ResultDoc;
  /** `create`: only if absent; `upsert`: overwrite (an activation id that became known). */
  write: 'create' | 'upsert';
}

export function progressDocs(previous: RunState | undefined, next: RunState, seqs: ViewSeqs): { seqs: ViewSeqs; docs: ViewDoc[] } {
  const assigned: ViewSeqs = { ...seqs };
  const docs: ViewDoc[] = [];
  // Stages entered without starting a task (choice, succeed, fail, an empty map) get their stage
  // document too, as natively; within one batch they were entered before the task stage they led to.
  for (const visit of instantVisits(previous, next)) {
    const stage: StageDoc = { type: 'stage', runId: next.runId, seq: Object.keys(assigned).length, stageId: visit.stageId, data: null, taskCount: 0, window: 0, startedAt: Date.parse(next.updatedAt), claimedBy: 'stream' };
    assigned[`${visit.stageId}:${visit.seq}`] = { seq: stage.seq, taskCount: 0 };
    docs.push({ id: docIds.stage(next.runId, stage.seq), body: stage, write: 'create' });
  }
  for (const record of Object.values(next.tasks)) {
    const before = previous?.tasks[record.taskKey];
    if (before === record) continue;
    const key = parseTaskKey(record.taskKey);
    const visit = `${key.stageId}:${key.seq}`;
    let numbered = assigned[visit];
    if (numbered === undefined) {
      const stage = stageDoc(next, key.stageId, key.seq, Object.keys(assigned).length, record);
      numbered = { seq: stage.seq, taskCount: stage.taskCount };
      assigned[visit] = numbered;
      docs.push({ id: docIds.stage(next.runId, stage.seq), body: stage, write: 'create' });
    }
    const { seq, taskCount } = numbered;
    const invoke: InvokeDoc = { type: 'invoke', runId: next.runId, seq, index: key.index, attempt: key.attempt, claimedAt: Date.parse(record.startedAt) };
    const invoked: InvokeDoc = record.activationId === undefined ? invoke : { ...invoke, activationId: record.activationId, invokedAt: invoke.claimedAt };
    // One write per invoke document and batch: the upsert of a task started and invoked within the
    // batch also creates it (and, on a batch applied again after a crash, still adds the id to the
    // document the first application created without it).
    if (!before && record.activationId === undefined) docs.push({ id: docIds.invoke(next.runId, seq, key.index, key.attempt), body: invoked, write: 'create' });
    else if (record.activationId !== undefined && before?.activationId !== record.activationId) {
      docs.push({ id: docIds.invoke(next.runId, seq, key.index, key.attempt), body: invoked, write: 'upsert' });
    }
    if (record.status !== 'started' && (before?.status ?? 'started') === 'started' && isFinal(next, record, key)) {
      docs.push({ id: docIds.result(next.runId, seq, key.index, taskCount), body: resultDoc(next.runId, seq, key.index, key.attempt, record), write: 'create' });
    }
  }
  return { seqs: assigned, docs };
}

/** Stage visits new since `previous` that started no task and do not wait (no thread parked there). */
function instantVisits(previous: RunState | undefined, next: RunState): { stageId: string; seq: number }[] {
  const fresh: { stageId: string; seq: number }[] = [];
  for (const [stageId, count] of Object.entries(next.visits)) {
    for (let seq = (previous?.visits[stageId] ?? 0) + 1; seq <= count; seq += 1) fresh.push({ stageId, seq });
  }
  if (fresh.length === 0) return fresh;
  const withTasks = new Set<string>();
  for (const record of Object.values(next.tasks)) {
    if (previous?.tasks[record.taskKey]) continue;
    const key = parseTaskKey(record.taskKey);
    withTasks.add(`${key.stageId}:${key.seq}`);
  }
  const parked = new Set(Object.values(next.threads).map((thread) => `${thread.stageId}:${thread.seq}`));
  return fresh.filter((visit) => !withTasks.has(`${visit.stageId}:${visit.seq}`) && !parked.has(`${visit.stageId}:${visit.seq}`));
}

/** A failed attempt with a retry already scheduled is not the slot's outcome. */
function isFinal(state: RunState, record: TaskRecord, key: TaskKey): boolean {
  if (record.status === 'succeeded') return true;
  return state.tasks[`${key.stageId}:${key.seq}:${key.index}:${key.attempt + 1}`] === undefined;
}

function stageDoc(state: RunState, stageId: string, visit: number, seq: number, first: TaskRecord): StageDoc {
  const thread = Object.values(state.threads).find((candidate) => candidate.stageId === stageId && candidate.seq === visit);
  const wait = thread?.wait;
  const taskCount = wait?.kind === 'fan-out' ? wait.items.length : 1;
  const window = wait?.kind === 'fan-out' ? Math.min(taskCount, wait.concurrency) : taskCount;
  return { type: 'stage', runId: state.runId, seq, stageId, data: thread?.data ?? null, taskCount, window, startedAt: Date.parse(first.startedAt), claimedBy: 'stream' };
}

function resultDoc(runId: string, seq: number, index: number, attempt: number, record: TaskRecord): ResultDoc {
  const doc: ResultDoc = { type: 'result', runId, seq, index, attempt, ok: record.status === 'succeeded', completedAt: Date.parse(record.endedAt ?? record.startedAt) };
  if (record.activationId !== undefined) doc.activationId = record.activationId;
  if (record.error) {
    const failure: RunFailure = { error: record.error.error, cause: record.error.cause ?? record.error.error, stageId: record.stageId };
    if (record.activationId !== undefined) failure.activationId = record.activationId;
    doc.failure = failure;
  }
  return doc;
}
