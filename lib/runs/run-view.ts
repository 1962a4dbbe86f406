/**
 * A run as users look at it (status, runs, logs, progress): assembled from the run head and the
 * stage, invoke and result records, read-only. A native run's records are its documents; a
 * streaming run's are derived from its checkpointed context (streaming/run-view-source.ts).
 */
import type { Workflow } from '../model/workflow';
import { forkSteps } from '../core/scope';
import { compiledOf } from '../runtimes/native/warm-cache';
import { docIds, END_STAGE, type InvokeDoc, type ResultDoc, type RunDoc, type RunStatus, type StageDoc, type RejectedDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import { isStreamRun } from '../store/run-records';
import { streamViewRecords, type ViewRecords } from '../runtimes/streaming/run-view-source';

/** A child run of a parallel stage: one attempt of a branch of several stages (`whiskflow status <runId>` drills in). */
export interface ChildRunView {
  index: number;
  attempt: number;
  runId: string;
  /** `starting` while its head is not written yet. */
  status: RunStatus | 'starting';
}

export interface TaskView {
  index: number;
  /** Activation id of each attempt, in attempt order (the conductor's primary activation). */
  attempts: { attempt: number; activationId?: string; invokedAt?: number; childRunId?: string }[];
  outcome?: { ok: boolean; attempt: number; activationId?: string; completedAt: number; error?: string };
}

export interface StageView {
  position: number;
  stageId: string;
  startedAt: number;
  /** When the last task finished (or the stage started, for stages without tasks). */
  endedAt?: number;
  taskCount: number;
  completed: number;
  failed: number;
  tasks: TaskView[];
  /** Parallel stages with branches of several stages: their child runs, in branch order. */
  children?: ChildRunView[];
}

export interface RunView {
  run: RunDoc;
  stages: StageView[];
  /** Tasks finished / tasks known so far (later stages are not known before they start). */
  progress: { done: number; total: number };
}

/** Events for a run that its runtime refused (forged, misrouted, unsigned; lib/store/rejected-events.ts). */
export interface RejectedEvents { count: number; latest?: { eventType: string; reason: string; rejectedAt: number } }

export async function describeRun(store: RunStore, runId: string, withTasks = true): Promise<RunView | undefined> {
  const run = await store.get<RunDoc>(docIds.run(runId));
  if (!run) return undefined;
  const records = (isStreamRun(run) ? await streamViewRecords(store, run, withTasks) : undefined) ?? await listedRecords(store, runId, withTasks);
  const { stages: stageDocs, results, invokes } = records;
  const stages = stageDocs.flatMap((doc): StageView[] => [
    ...(doc.passed ?? []).map((stageId) => passedView(doc, stageId)),
    ...(doc.stageId !== END_STAGE ? [parkView(doc, records)] : []),
  ]);
  await addChildRuns(store, run, stages, withTasks ? invokes : undefined);
  const total = stages.reduce((sum, stage) => sum + stage.taskCount, 0);
  return { run, stages, progress: { done: results.length, total } };
}

/** A stage passed inside a transition (a choice, `succeed`, `fail`, an empty map): no tasks. */
function passedView(doc: StageDoc, stageId: string): StageView {
  return { position: doc.position, stageId, startedAt: doc.startedAt, endedAt: doc.startedAt, taskCount: 0, completed: 0, failed: 0, tasks: [] };
}

/** The stage a transition parked at, with its tasks (the dashboard builds its narrow stages with it). */
export function parkView(doc: StageDoc, { results, invokes }: ViewRecords): StageView {
  const own = results.filter((result) => result.position === doc.position);
  const tasks = new Map<number, TaskView>();
  const task = (index: number) => tasks.get(index) ?? tasks.set(index, { index, attempts: [] }).get(index)!;
  for (const invoke of invokes.filter((i) => i.position === doc.position)) {
    task(invoke.index).attempts.push({
      attempt: invoke.attempt, ...(invoke.activationId ? { activationId: invoke.activationId } : {}), ...(invoke.invokedAt ? { invokedAt: invoke.invokedAt } : {}),
      ...(invoke.childRunId ? { childRunId: invoke.childRunId } : {}),
    });
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
    position: doc.position, stageId: doc.stageId, startedAt: doc.startedAt, ...(endedAt !== undefined ? { endedAt } : {}),
    taskCount: doc.taskCount, completed: own.filter((r) => r.ok).length, failed: own.filter((r) => !r.ok).length,
    tasks: [...tasks.values()].sort((a, b) => a.index - b.index),
  };
}

/** The stage, result and (`withTasks`) invoke documents of a run. */
async function listedRecords(store: RunStore, runId: string, withTasks: boolean): Promise<ViewRecords> {
  const listed = async <T extends object>(prefix: string): Promise<T[]> =>
    (await store.listByPrefix<T>(prefix, { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : []));
  const [stages, results, invokes] = await Promise.all([
    listed<StageDoc>(docIds.stagesPrefix(runId)),
    listed<ResultDoc>(docIds.resultsPrefix(runId)),
    withTasks ? listed<InvokeDoc>(docIds.invokesPrefix(runId)) : Promise.resolve([]),
  ]);
  return { stages, results, invokes };
}

/**
 * Fills in the child runs of the parallel stages (branches of several stages run as child runs). Only
 * those stages' claims are read (`invokes`, when already listed, saves that): a status of a wide map
 * does not list its thousands of claims.
 */
async function addChildRuns(store: RunStore, run: RunDoc, stages: StageView[], invokes: readonly InvokeDoc[] | undefined): Promise<void> {
  const definition = (run as RunDoc & { definition?: Workflow }).definition;
  // Parallel stages anywhere in the definition: a child run's head holds its parent's whole definition.
  const withChildren = new Set(definition ? forkSteps(compiledOf(definition)).map((step) => step.id) : []);
  await Promise.all(stages.filter((stage) => stage.taskCount > 0 && withChildren.has(stage.stageId)).map(async (stage) => {
    const claims = invokes?.filter((claim) => claim.position === stage.position)
      ?? (await store.listByPrefix<InvokeDoc>(docIds.invokesPrefix(run.runId, stage.position), { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : []));
    stage.children = await Promise.all(claims.filter((claim) => claim.childRunId).map(async (claim): Promise<ChildRunView> => {
      const head = await store.get<RunDoc>(docIds.run(claim.childRunId!));
      return { index: claim.index, attempt: claim.attempt, runId: claim.childRunId!, status: head?.status ?? 'starting' };
    }));
  }));
}

/**
 * Top-level runs, newest first. Child runs (parallel branches of several stages) are left out: they
 * show under their parent's parallel stage in `status`/`logs`. Heads are read a page at a time
 * until enough top-level runs were found.
 */
export async function listRuns(store: RunStore, options: { workflow?: string; limit?: number } = {}): Promise<RunDoc[]> {
  const limit = options.limit ?? 20;
  const wanted = (run: RunDoc) => !run.parent && (!options.workflow || run.workflow === options.workflow);
  if (options.workflow) {
    const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true, descending: true });
    return rows.flatMap((row) => (row.doc && wanted(row.doc) ? [row.doc] : [])).slice(0, limit);
  }
  const runs: RunDoc[] = [];
  for (let skip = 0; runs.length < limit; skip += limit) {
    const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true, descending: true, limit, skip });
    runs.push(...rows.flatMap((row) => (row.doc && wanted(row.doc) ? [row.doc] : [])));
    if (rows.length < limit) break;
  }
  return runs.slice(0, limit);
}

/** Read only where it is shown (`whiskflow status`): not on every view a poller or a page takes. */
export async function rejectedEventsOf(store: RunStore, runId: string): Promise<RejectedEvents> {
  const rows = await store.listByPrefix<RejectedDoc>(docIds.rejectedPrefix(runId), { includeDocs: true });
  const docs = rows.flatMap((row) => (row.doc ? [row.doc] : [])).sort((a, b) => a.rejectedAt - b.rejectedAt);
  const latest = docs.at(-1);
  return { count: docs.length, ...(latest ? { latest: { eventType: latest.eventType, reason: latest.reason, rejectedAt: latest.rejectedAt } } : {}) };
}
