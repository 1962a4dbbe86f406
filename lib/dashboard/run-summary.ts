/**
 * A run's page in two parts, so that a 10,000-task map's page does not wait for its 20,000
 * documents: first its summary (`runSummary`: the head, the graph's node states, each stage's
 * counts, the timeline's lanes, the failed attempts), then the timeline's bars a page of tasks at a
 * time (`runBars`), as the browser draws them.
 *
 * A wide stage is counted from the join's bucket markers (`joined/…`, written when a bucket of
 * ~sqrt(n) results is full: the values when all succeeded, else the results, and the attempts they
 * took), so that a finished 10,000-task map costs its ~100 markers, not its 20,000 documents. The
 * buckets no marker counts (the one the stage's last completion joined, those still filling) are
 * counted from the ids of their claims and results (`_all_docs` without `include_docs`: a claim id
 * names its task and attempt, a result id its task; on pouchdb-server ids cost about a tenth of
 * documents), and read with their documents where whether they succeeded is not known.
 * Narrow stages, parallel stages (their child runs) and streaming runs (whose records come from one
 * checkpointed context) are read whole, as `whiskflow status` reads them (lib/runs/run-view.ts).
 */
import { forkSteps } from '../core/scope';
import type { Workflow } from '../model/workflow';
import { describeRun, parkView, type StageView } from '../runs/run-view';
import { compiledOf } from '../runtimes/native/warm-cache';
import { isStreamRun } from '../store/run-records';
import { bucketBounds, bucketOf, bucketSize, docIds, END_STAGE, type InvokeDoc, type JoinedDoc, type ResultDoc, type RunDoc, type RunFailure, type StageDoc, type WorkflowDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import { summaryOf, type RunSummary } from './data';
import { workflowGraph, type WorkflowGraph } from './model/graph';
import { nodeStates, type RunGraphState, type StageFacts } from './model/node-states';
import { taskBars, type TimelineLane } from './model/timeline';
import { TIMEOUT_ERROR } from '../events/types';
import { packBars, type BarsPage } from './model/timeline-wire';

/** Stages of at most this many tasks are read whole: their documents cost less than the extra requests. */
export const NARROW_STAGE = 64;
/** Failed attempts listed on the page (the graph and the stages table count all of them). */
export const FAILURES_SHOWN = 20;
/** Tasks per page of bars at most. */
export const MAX_BARS_PAGE = 5000;
/** Buckets a marker does not count, at most, that are read one by one (each a range of ids); more: the stage's ids at once. */
export const FEW_BUCKETS = 4;

/**
 * A stage's counts without its tasks. `endedAt`: when the last task finished (for a wide stage whose
 * results were not all read: when it was joined).
 */
export interface StageSummary extends Omit<StageView, 'tasks' | 'children'> {
  /** Attempts after the first. */
  retried: number;
  attempts: number;
  timeouts: number;
}

export interface FailedAttempt { position: number; stageId: string; index: number; attempt: number; status: 'failed' | 'timeout'; error?: string }

export interface RunPage {
  run: RunSummary & { input: unknown; output?: unknown; failure?: RunFailure; parent?: RunDoc['parent']; startedBy?: string };
  graph?: WorkflowGraph;
  state?: RunGraphState;
  stages: StageSummary[];
  /** The timeline without its bars (`/bars` pages): one lane per stage visit, `rows` packed by the browser. */
  timeline: { start: number; end: number; lanes: TimelineLane[]; attempts: number };
  /** The first FAILURES_SHOWN failed attempts, by stage and task. */
  failures: FailedAttempt[];
  progress: { done: number; total: number };
}

interface Tally { facts: StageFacts; summary: StageSummary; failures: FailedAttempt[] }

export async function runSummary(store: RunStore, runId: string, now = Date.now()): Promise<RunPage | undefined> {
  const run = await store.get<RunDoc>(docIds.run(runId));
  if (!run) return undefined;
  const definition = (run as RunDoc & { definition?: Workflow }).definition ?? (await store.get<WorkflowDoc>(docIds.workflow(run.workflow)))?.definition;
  const tallies = isStreamRun(run) ? await viewedTallies(store, runId) : await nativeTallies(store, run, definition);
  if (!tallies) return undefined;
  const { stages, children } = tallies;
  const graph = definition ? workflowGraph(definition) : undefined;
  const summaries = stages.map((t) => t.summary);
  const running = run.status === 'running' && summaries.some((s) => s.endedAt === undefined && s.taskCount > 0);
  const start = Math.min(...summaries.map((s) => s.startedAt), run.startedAt);
  const end = running ? now : Math.max(start, ...summaries.map((s) => s.endedAt ?? s.startedAt), run.endedAt ?? start);
  return {
    run: {
      ...summaryOf(run), input: run.input, ...(run.output !== undefined ? { output: run.output } : {}), ...(run.failure ? { failure: run.failure } : {}),
      ...(run.parent ? { parent: run.parent } : {}), ...(run.startedBy ? { startedBy: run.startedBy } : {}),
    },
    ...(graph ? { graph, state: nodeStates(graph, stages.map((t) => t.facts), run, children) } : {}),
    stages: summaries,
    timeline: {
      start, end, attempts: summaries.reduce((sum, s) => sum + s.attempts, 0),
      lanes: summaries.map((s) => ({
        position: s.position, stageId: s.stageId, startedAt: s.startedAt, ...(s.endedAt !== undefined ? { endedAt: s.endedAt } : {}),
        attempts: s.attempts, retried: s.retried, timeouts: s.timeouts, failed: s.failed - s.timeouts, rows: 0,
      })),
    },
    failures: stages.flatMap((t) => t.failures).slice(0, FAILURES_SHOWN),
    progress: { done: summaries.reduce((sum, s) => sum + s.completed + s.failed, 0), total: summaries.reduce((sum, s) => sum + s.taskCount, 0) },
  };
}

/** A stage read whole: its counts from its tasks' bars, as the timeline draws them. */
function tallyOfView(stage: StageView): Tally {
  let attempts = 0;
  let retried = 0;
  let timeouts = 0;
  const failures: FailedAttempt[] = [];
  for (const task of stage.tasks) {
    for (const bar of taskBars(task, stage.startedAt, 0)) {
      attempts += 1;
      if (bar.status === 'retried') retried += 1;
      if (bar.status === 'timeout') timeouts += 1;
      if (bar.status === 'failed' || bar.status === 'timeout') {
        failures.push({ position: stage.position, stageId: stage.stageId, index: bar.index, attempt: bar.attempt, status: bar.status, ...(task.outcome?.error ? { error: task.outcome.error } : {}) });
      }
    }
  }
  const { tasks: _tasks, children: _children, ...facts } = stage;
  return {
    facts: stage,
    summary: { ...facts, retried, attempts, timeouts },
    failures,
  };
}

async function viewedTallies(store: RunStore, runId: string): Promise<{ stages: Tally[]; children: StageFacts[] } | undefined> {
  const view = await describeRun(store, runId, true);
  return view ? { stages: view.stages.map(tallyOfView), children: [] } : undefined;
}

const listedDocs = async <T extends object>(store: RunStore, prefix: string, options: { startKey?: string; endKey?: string } = {}): Promise<T[]> =>
  (await store.listByPrefix<T>(prefix, { includeDocs: true, ...options })).flatMap((row) => (row.doc ? [row.doc] : []));

async function nativeTallies(store: RunStore, run: RunDoc, definition: Workflow | undefined): Promise<{ stages: Tally[]; children: StageFacts[] }> {
  const { runId } = run;
  const forks = new Set(definition ? forkSteps(compiledOf(definition)).map((step) => step.id) : []);
  const [stageDocs, markers] = await Promise.all([
    listedDocs<StageDoc>(store, docIds.stagesPrefix(runId)),
    listedDocs<JoinedDoc>(store, `joined/${runId}/`),
  ]);
  stageDocs.sort((a, b) => a.position - b.position);
  const markersByPosition = new Map<number, JoinedDoc[]>();
  for (const marker of markers) markersByPosition.set(marker.position, [...markersByPosition.get(marker.position) ?? [], marker]);
  const children: StageFacts[] = [];
  const parked = await Promise.all(stageDocs.map(async (doc, position): Promise<Tally[]> => {
    const passed = (doc.passed ?? []).map((stageId) => tallyOfView({ position: doc.position, stageId, startedAt: doc.startedAt, endedAt: doc.startedAt, taskCount: 0, completed: 0, failed: 0, tasks: [] }));
    if (doc.stageId === END_STAGE) return passed;
    const joinedAt = stageDocs[position + 1]?.startedAt ?? run.endedAt;
    if (doc.taskCount > NARROW_STAGE && !forks.has(doc.stageId)) {
      return [...passed, await wideTally(store, run, doc, markersByPosition.get(doc.position) ?? [], joinedAt)];
    }
    const [invokes, results] = await Promise.all([
      listedDocs<InvokeDoc>(store, docIds.invokesPrefix(runId, doc.position)),
      listedDocs<ResultDoc>(store, docIds.resultsPrefix(runId, doc.position)),
    ]);
    const view = parkView(doc, { stages: [doc], invokes, results });
    if (forks.has(doc.stageId)) children.push(...await childStages(store, invokes));
    return [...passed, tallyOfView(view)];
  }));
  return { stages: parked.flat(), children };
}

/** The stages of the latest attempt of each branch that ran as a child run: their nodes are in the parent's graph. */
async function childStages(store: RunStore, claims: readonly InvokeDoc[]): Promise<StageFacts[]> {
  const latest = new Map<number, InvokeDoc>();
  for (const claim of claims) if (claim.childRunId && (latest.get(claim.index)?.attempt ?? 0) < claim.attempt) latest.set(claim.index, claim);
  const views = await Promise.all([...latest.values()].map((claim) => describeRun(store, claim.childRunId!, true)));
  return views.flatMap((view) => view?.stages ?? []);
}

/**
 * A wide stage from its buckets' markers and, for the buckets a marker does not count (the one the
 * last completion joined, those still filling, markers of older versions without `attempts`), the
 * ids of their claims and their results: by bucket when they are few, else the stage's ids at once.
 */
async function wideTally(store: RunStore, run: RunDoc, doc: StageDoc, markers: readonly JoinedDoc[], joinedAt: number | undefined): Promise<Tally> {
  const n = doc.taskCount;
  const size = bucketSize(n);
  const markerOf = new Map(markers.map((marker) => [marker.bucket, marker]));
  /** A marker that says all of its bucket's tallies: its attempts, and its results or their values. */
  const counts = (marker: JoinedDoc | undefined): marker is JoinedDoc & { attempts: number } => marker?.attempts !== undefined && (marker.values !== undefined || marker.results !== undefined);
  const open = Array.from({ length: Math.ceil(n / size) }, (_, bucket) => bucket).filter((bucket) => !counts(markerOf.get(bucket)));
  let attempts = 0;
  let claimed = 0;
  let done = 0;
  const known: ResultDoc[] = [];
  for (const marker of markerOf.values()) {
    if (!counts(marker)) continue;
    const expected = bucketBounds(marker.bucket * size, n).count;
    attempts += marker.attempts;
    claimed += expected;
    done += expected;
    if (marker.results) known.push(...marker.results);
  }
  const ids = (rows: readonly { id: string }[]) => rows.map((row) => row.id);
  let invokeIds: string[];
  let resultIds: string[];
  if (open.length <= FEW_BUCKETS) {
    // `result/<runId>/<position>/<bucket>/<index>`; `invoke/<runId>/<position>/<index>/<attempt>`: a bucket is a range of both.
    const read = await Promise.all(open.map(async (bucket) => {
      const { first, count } = bucketBounds(bucket * size, n);
      return Promise.all([
        store.listByPrefix(docIds.invokesPrefix(run.runId, doc.position), { startKey: docIds.invoke(run.runId, doc.position, first, 0), endKey: docIds.invoke(run.runId, doc.position, first + count, 0) }).then(ids),
        store.listByPrefix(docIds.bucketPrefix(run.runId, doc.position, bucket)).then(ids),
      ]);
    }));
    invokeIds = read.flatMap(([invokes]) => invokes);
    resultIds = read.flatMap(([, results]) => results);
  } else {
    const inOpen = (index: number) => !counts(markerOf.get(bucketOf(index, n)));
    [invokeIds, resultIds] = await Promise.all([
      store.listByPrefix(docIds.invokesPrefix(run.runId, doc.position)).then((rows) => ids(rows).filter((id) => inOpen(Number(id.split('/')[3])))),
      store.listByPrefix(docIds.resultsPrefix(run.runId, doc.position)).then((rows) => ids(rows).filter((id) => inOpen(Number(id.split('/')[4])))),
    ]);
  }
  const tasks = new Set<number>();
  for (const id of invokeIds) tasks.add(Number(id.split('/')[3]));
  attempts += invokeIds.length;
  claimed += tasks.size;
  done += resultIds.length;
  const buckets = new Map<number, number>();
  for (const id of resultIds) {
    const bucket = Number(id.split('/')[3]);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  const toRead: number[] = [];
  for (const [bucket, count] of buckets) {
    const marker = markerOf.get(bucket);
    const expected = bucketBounds(bucket * size, n).count;
    if (marker?.values && count === expected) continue;
    if (marker?.results && count === expected) known.push(...marker.results);
    else toRead.push(bucket);
  }
  for (const docs of await Promise.all(toRead.map((bucket) => listedDocs<ResultDoc>(store, docIds.bucketPrefix(run.runId, doc.position, bucket))))) known.push(...docs);
  const failedDocs = known.filter((result) => !result.ok).sort((a, b) => a.index - b.index);
  const failed = failedDocs.length;
  const finished = done >= doc.taskCount || failed > 0;
  const lastKnown = known.length ? Math.max(...known.map((result) => result.completedAt)) : undefined;
  const endedAt = doc.taskCount === 0 ? doc.startedAt : finished ? lastKnown ?? joinedAt : undefined;
  const timeouts = failedDocs.filter((result) => result.failure?.error === TIMEOUT_ERROR).length;
  const retried = attempts - claimed;
  return {
    facts: { position: doc.position, stageId: doc.stageId, taskCount: doc.taskCount, completed: done - failed, failed, retried, tasks: [], ...(endedAt !== undefined ? { endedAt } : {}) },
    summary: {
      position: doc.position, stageId: doc.stageId, startedAt: doc.startedAt, ...(endedAt !== undefined ? { endedAt } : {}),
      taskCount: doc.taskCount, completed: done - failed, failed, retried, attempts, timeouts,
    },
    failures: failedDocs.map((result) => ({
      position: doc.position, stageId: doc.stageId, index: result.index, attempt: result.attempt,
      status: result.failure?.error === TIMEOUT_ERROR ? 'timeout' : 'failed', ...(result.failure?.error ? { error: result.failure.error } : {}),
    })),
  };
}

/**
 * The bars of tasks `from` to `from + count` (excluded) of the stage entered at `position`: a native
 * run's claims and results of that range of ids, a streaming run's from its view.
 */
export async function runBars(store: RunStore, runId: string, position: number, from: number, count: number): Promise<BarsPage | undefined> {
  const run = await store.get<RunDoc>(docIds.run(runId));
  if (!run) return undefined;
  let stage: StageView | undefined;
  let to: number;
  if (isStreamRun(run)) {
    stage = (await describeRun(store, runId, true))?.stages.find((s) => s.position === position && s.taskCount > 0);
    if (!stage) return undefined;
    to = Math.min(from + count, stage.taskCount);
    stage = { ...stage, tasks: stage.tasks.filter((task) => task.index >= from && task.index < to) };
  } else {
    const doc = await store.get<StageDoc>(docIds.stage(runId, position));
    if (!doc || doc.stageId === END_STAGE) return undefined;
    to = Math.min(from + count, doc.taskCount);
    const [invokes, results] = await Promise.all([
      listedDocs<InvokeDoc>(store, docIds.invokesPrefix(runId, position), { startKey: docIds.invoke(runId, position, from, 0), endKey: docIds.invoke(runId, position, to, 0) }),
      listedDocs<ResultDoc>(store, docIds.resultsPrefix(runId, position), { startKey: docIds.result(runId, position, from, doc.taskCount), endKey: docIds.result(runId, position, to, doc.taskCount) }),
    ]);
    stage = parkView(doc, { stages: [doc], invokes, results });
  }
  const settled = run.status !== 'running' || stage.tasks.filter((task) => task.outcome).length >= to - from;
  const { startedAt } = stage;
  return packBars({ position, from, to, settled }, stage.tasks.flatMap((task) => taskBars(task, startedAt, 0)));
}
