/**
 * Numbering of a streaming run's stage visits, as `whiskflow status`/`logs` show them.
 *
 * Native runs number their stage documents by the run's n-th transition (`position`); a streaming
 * run's state only counts visits per stage (the `seq` in task keys). The run context therefore keeps,
 * per visit `<stageId>:<visit>`, its number in the order the visits appeared (a visit appears when
 * it starts its first task, or when it is passed without any: choice, succeed, fail, an empty map),
 * its task count and its start. Everything else `logs` shows (invokes, activation ids, outcomes) is
 * in the state's task records, so the view is derived from the checkpoint when it is read
 * (run-view-source.ts) instead of being written as documents per task: those were two store writes
 * per completion, a third of the Condition Engine's time per event.
 */
import { parseTaskKey } from '../../events/task-key';
import type { RunState, TaskRecord } from '../../core/run-state';

export interface StageVisit {
  /** Position among the run's stage visits, from 0: the `position` of its stage record. */
  position: number;
  stageId: string;
  /** Tasks the visit waits for (a map's element count); 0 when it started none. */
  taskCount: number;
  /** Epoch ms: its first task's start, or the transition that passed it. */
  startedAt: number;
}

/** By `<stageId>:<visit>`. */
export type StageVisits = Record<string, StageVisit>;

export function visitKey(stageId: string, visit: number): string {
  return `${stageId}:${visit}`;
}

/**
 * The visits `next` adds to `known` (the numbering of `previous`). Returns `known` itself when
 * nothing is new, which is most batches of a wide map: the caller then keeps the context as it is.
 */
export function numberStageVisits(previous: RunState | undefined, next: RunState, known: StageVisits): StageVisits {
  // The batches of a wide map add tasks to a visit already numbered: settled without walking its
  // (thousands of) task records, which made each batch cost as much as the map was wide.
  if (everyVisitNumbered(next, known)) return known;
  // Visits that started tasks are numbered by their first task, in the order the state holds them
  // (the order the transition started them); the others where they were entered.
  let withTasks: Map<string, TaskRecord> | undefined;
  for (const taskKey in next.tasks) {
    if (previous?.tasks[taskKey] !== undefined) continue;
    const key = parseTaskKey(taskKey);
    const visit = visitKey(key.stageId, key.seq);
    if (known[visit] !== undefined) continue;
    withTasks ??= new Map();
    if (!withTasks.has(visit)) withTasks.set(visit, next.tasks[taskKey] as TaskRecord);
  }
  const freshVisits = newVisits(previous, next);
  if (!withTasks && freshVisits.length === 0) return known;
  const numbered: StageVisits = { ...known };
  let count = Object.keys(known).length;
  const parked = new Set(Object.values(next.threads).map((thread) => visitKey(thread.stageId, thread.seq)));
  for (const visit of freshVisits) {
    const id = visitKey(visit.stageId, visit.seq);
    if (numbered[id] || withTasks?.has(id) || parked.has(id)) continue;
    numbered[id] = { position: count++, stageId: visit.stageId, taskCount: 0, startedAt: Date.parse(next.updatedAt) };
  }
  for (const [id, first] of withTasks ?? []) {
    numbered[id] = { position: count++, stageId: first.stageId, taskCount: taskCountOf(next, id), startedAt: Date.parse(first.startedAt) };
  }
  return numbered;
}

/** Whether `known` numbers every visit the state counts (a visit is numbered once, for good). */
function everyVisitNumbered(state: RunState, known: StageVisits): boolean {
  for (const [stageId, count] of Object.entries(state.visits)) {
    for (let seq = 1; seq <= count; seq += 1) if (known[visitKey(stageId, seq)] === undefined) return false;
  }
  return true;
}

/** Stage visits entered since `previous`. */
function newVisits(previous: RunState | undefined, next: RunState): { stageId: string; seq: number }[] {
  const fresh: { stageId: string; seq: number }[] = [];
  for (const [stageId, count] of Object.entries(next.visits)) {
    for (let seq = (previous?.visits[stageId] ?? 0) + 1; seq <= count; seq += 1) fresh.push({ stageId, seq });
  }
  return fresh;
}

function taskCountOf(state: RunState, visit: string): number {
  const thread = Object.values(state.threads).find((candidate) => visitKey(candidate.stageId, candidate.seq) === visit);
  return thread?.wait.kind === 'fan-out' ? thread.wait.items.length : 1;
}
