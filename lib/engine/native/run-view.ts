/**
 * A run as users look at it (status, runs, logs, progress): assembled from the run head and the
 * stage, invoke and result documents, read-only.
 */
import { docIds, END_STAGE, type InvokeDoc, type ResultDoc, type RunDoc, type StageDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';

export interface TaskView {
  index: number;
  /** Activation id of each attempt, in attempt order (the conductor's primary activation). */
  attempts: { attempt: number; activationId?: string; invokedAt?: number }[];
  outcome?: { ok: boolean; attempt: number; activationId?: string; completedAt: number; error?: string };
}

export interface StageView {
  seq: number;
  stageId: string;
  startedAt: number;
  /** When the last task finished (or the stage started, for stages without tasks). */
  endedAt?: number;
  taskCount: number;
  completed: number;
  failed: number;
  tasks: TaskView[];
}

export interface RunView {
  run: RunDoc;
  stages: StageView[];
  /** Tasks finished / tasks known so far (later stages are not known before they start). */
  progress: { done: number; total: number };
}

export async function describeRun(store: RunStore, runId: string, withTasks = true): Promise<RunView | undefined> {
  const run = await store.get<RunDoc>(docIds.run(runId));
  if (!run) return undefined;
  const stageDocs = (await store.listByPrefix<StageDoc>(docIds.stagesPrefix(runId), { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : []));
  const results = (await store.listByPrefix<ResultDoc>(docIds.resultsPrefix(runId), { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : []));
  const invokes = withTasks ? (await store.listByPrefix<InvokeDoc>(docIds.invokesPrefix(runId), { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : [])) : [];
  const stages = stageDocs.filter((doc) => doc.stageId !== END_STAGE).map((doc): StageView => {
    const own = results.filter((result) => result.seq === doc.seq);
    const tasks = new Map<number, TaskView>();
    const task = (index: number) => tasks.get(index) ?? tasks.set(index, { index, attempts: [] }).get(index)!;
    for (const invoke of invokes.filter((i) => i.seq === doc.seq)) {
      task(invoke.index).attempts.push({ attempt: invoke.attempt, ...(invoke.activationId ? { activationId: invoke.activationId } : {}), ...(invoke.invokedAt ? { invokedAt: invoke.invokedAt } : {}) });
    }
    for (const result of own) {
      task(result.index).outcome = {
        ok: result.ok, attempt: result.attempt, completedAt: result.completedAt,
        ...(result.activationId ? { activationId: result.activationId } : {}), ...(result.failure ? { error: result.failure.error } : {}),
      };
    }
    const finished = own.length >= doc.taskCount || own.some((r) => !r.ok);
    const endedAt = doc.taskCount === 0 ? doc.startedAt : finished ? Math.max(...own.map((r) => r.completedAt)) : undefined;
    return {
      seq: doc.seq, stageId: doc.stageId, startedAt: doc.startedAt, ...(endedAt !== undefined ? { endedAt } : {}),
      taskCount: doc.taskCount, completed: own.filter((r) => r.ok).length, failed: own.filter((r) => !r.ok).length,
      tasks: [...tasks.values()].sort((a, b) => a.index - b.index),
    };
  });
  const total = stages.reduce((sum, stage) => sum + stage.taskCount, 0);
  return { run, stages, progress: { done: results.length, total } };
}

export async function listRuns(store: RunStore, options: { workflow?: string; limit?: number } = {}): Promise<RunDoc[]> {
  const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true, descending: true, ...(options.workflow ? {} : { limit: options.limit ?? 20 }) });
  const runs = rows.flatMap((row) => (row.doc ? [row.doc] : []));
  return (options.workflow ? runs.filter((run) => run.workflow === options.workflow) : runs).slice(0, options.limit ?? 20);
}
