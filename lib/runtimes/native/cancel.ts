/**
 * Cancelling a native run (`whiskflow cancel`): the cancel is a *transition*. It claims the run's
 * next transition document, `stage/<run>/<latest position + 1>`, create-only, as an end with status
 * `cancelled`, exactly as the orchestrator claims a transition. So the cancel and the run's own next
 * transition race for one create-only document and exactly one of them wins:
 *
 * - the cancel wins: every later completion of the current stage is recorded (its `result/…` create)
 *   and then meets the cancel where it would claim the next transition (a 409: it reads the winner,
 *   the `cancelled` end, and realizes it: the head is already cancelled). Retries, the next elements
 *   of a bounded map and attempts the sweep resumes are claimed and then checked against the next
 *   transition (`stageLeft`), so none starts after the cancel. No extra read on a transition's path.
 * - the run's transition wins: the cancel tries the transition after it. Tasks whose claims were
 *   created with that transition (before the cancel existed) may still start; nothing claimed after
 *   the cancel does.
 *
 * The head is then marked `cancelled` (compare-and-swap on a head still `running`), the run's
 * running child runs are cancelled the same way, and events of the run are ignored from then on.
 */
import { EntityNotFoundError, InvalidInputError } from '../../errors';
import { createOne } from '../../store/bulk';
import { END_STAGE, docIds, type RunDoc, type RunFailure, type RunStatus, type StageDoc } from '../../store/run-documents';
import { endRunHead, stageRecord } from '../../store/run-records';
import type { RunStore } from '../../store/run-store';
import { CANCELLED_ERROR } from '../../core/transition';

export interface CancelOptions {
  /** Why (recorded as the failure's cause). */
  reason?: string;
  /** Who cancelled (recorded as the transition's `claimedBy`). */
  by?: string;
  now?: () => number;
}

export type CancelOutcome =
  /** This call ended the run. */
  | { outcome: 'cancelled'; runId: string; stageId: string; children: string[] }
  /** The run had ended already (or its end was decided): nothing changed. */
  | { outcome: 'over'; runId: string; status: RunStatus }
  /** A streaming run: its Condition Engine decides; the caller produces `run.cancelled` (lib/runtimes/streaming). */
  | { outcome: 'streaming'; runId: string };

/** Claims the run's next transition as a cancelled end, then marks the head; see the module comment. */
export async function cancelNativeRun(store: RunStore, runId: string, options: CancelOptions = {}): Promise<CancelOutcome> {
  const head = await store.get<RunDoc & { engine?: string }>(docIds.run(runId));
  if (!head) throw new EntityNotFoundError('run', runId);
  if (head.engine === 'stream') return { outcome: 'streaming', runId };
  if (head.parent) {
    throw new InvalidInputError(`run ${runId} is a branch of run ${head.parent.runId}: cancel that run`, { runId, parentRunId: head.parent.runId });
  }
  return cancelTree(store, head, options);
}

async function cancelTree(store: RunStore, head: RunDoc, options: CancelOptions): Promise<CancelOutcome> {
  const now = options.now ?? Date.now;
  const { runId } = head;
  if (head.status !== 'running') return { outcome: 'over', runId, status: head.status };
  const failure: RunFailure = { error: CANCELLED_ERROR, cause: options.reason ?? 'cancelled' };
  for (;;) {
    const [latest] = await store.listByPrefix<StageDoc>(docIds.stagesPrefix(runId), { includeDocs: true, descending: true, limit: 1 });
    const current = latest?.doc;
    if (current?.end) {
      // The run's end was decided before the cancel: the orchestrator (or the sweep) marks the head.
      return { outcome: 'over', runId, status: current.end.status };
    }
    const position = current ? current.position + 1 : 0;
    const end = stageRecord({
      runId, position, stageId: END_STAGE, data: null, taskCount: 0, window: 0, startedAt: now(),
      ...(options.by ? { claimedBy: options.by } : {}),
      end: { status: 'cancelled', failure: { ...failure, ...(current ? { stageId: current.stageId } : {}) } },
    });
    const written = await createOne(store, docIds.stage(runId, position), end);
    // Lost to the run's own transition: cancel the one after it.
    if (written.outcome !== 'created') continue;
    await markCancelled(store, runId, end.end!.failure!, now());
    const children = await cancelChildren(store, runId, options);
    return { outcome: 'cancelled', runId, stageId: current?.stageId ?? END_STAGE, children };
  }
}

/**
 * The branches of several stages (child runs) of the parallel stage entered at `position` that are
 * still running, once its completion policy decided the stage: each is ended `cancelled` the way
 * `whiskflow cancel` ends a run, so it starts no later stage (as the core drops the branches' threads);
 * a task it has running is left to finish, and its outcome is recorded and ignored.
 */
export async function stopUndecidedBranches(store: RunStore, runId: string, position: number, options: CancelOptions = {}): Promise<string[]> {
  const rows = await store.listByPrefix<RunDoc>(`${docIds.run(runId)}.s${position}b`, { includeDocs: true });
  const stopped: string[] = [];
  for (const row of rows) {
    if (row.doc?.status !== 'running') continue;
    const outcome = await cancelTree(store, row.doc, options);
    if (outcome.outcome === 'cancelled') stopped.push(row.doc.runId);
  }
  return stopped;
}

async function markCancelled(store: RunStore, runId: string, failure: RunFailure, endedAt: number): Promise<void> {
  await endRunHead(store, runId, { status: 'cancelled', failure }, endedAt);
}

/**
 * Child runs (`<run>.s<position>b<index>a<attempt>`, parallel branches of several stages) still running
 * are cancelled too, grandchildren included (their ids extend the parent's with `.`).
 */
async function cancelChildren(store: RunStore, runId: string, options: CancelOptions): Promise<string[]> {
  const rows = await store.listByPrefix<RunDoc>(`${docIds.run(runId)}.`, { includeDocs: true });
  const cancelled: string[] = [];
  for (const row of rows) {
    if (row.doc?.status !== 'running') continue;
    const outcome = await cancelTree(store, row.doc, { ...options, reason: options.reason ?? `run ${runId} was cancelled` });
    if (outcome.outcome === 'cancelled') cancelled.push(row.doc.runId);
  }
  return cancelled;
}
