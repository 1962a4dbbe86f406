/**
 * What the dashboard's pages show, read from the run store (and, for activations, rules and feeds,
 * from the platform through the openwhisk client): plain JSON for the browser, no HTML here.
 */
import { stringify } from 'yaml';
import { describeRun, type StageView } from '../runs/run-view';
import { isStreamRun } from '../store/run-records';
import { changesTrigger, cronTrigger, workflowRule, workflowTrigger } from '../openwhisk/names';
import type { Json } from '../model/json';
import type { Workflow } from '../model/workflow';
import { docIds, type InvokeDoc, type ResultDoc, type RunDoc, type RunFailure, type RunStatus, type StageDoc, type WorkflowDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import { workflowGraph, type WorkflowGraph } from './model/graph';

/** The part of the `openwhisk` client the dashboard reads the platform with. */
export interface PlatformReader {
  activations: { get(options: { name: string }): Promise<unknown> };
  rules: { get(options: { name: string }): Promise<unknown> };
  triggers: { get(options: { name: string }): Promise<unknown> };
}

export interface RunSummary {
  runId: string;
  workflow: string;
  status: RunStatus;
  model: 'native' | 'streaming';
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
}

export interface RunsQuery {
  workflow?: string;
  status?: string;
  /** Part of a run id. */
  search?: string;
  offset?: number;
  limit?: number;
}

export interface RunsPage {
  runs: RunSummary[];
  /** Runs that match the query, before `offset`/`limit`. */
  matched: number;
  total: number;
  workflows: string[];
  counts: Record<RunStatus, number>;
  /**
   * Only the newest runs, read without the others: `matched`, `total`, `counts` and `workflows`
   * are not known yet (the page asks again for them).
   */
  partial?: true;
}

export const summaryOf = (run: RunDoc): RunSummary => ({
  runId: run.runId, workflow: run.workflow, status: run.status, model: isStreamRun(run) ? 'streaming' : 'native', startedAt: run.startedAt,
  ...(run.endedAt !== undefined ? { endedAt: run.endedAt, durationMs: run.endedAt - run.startedAt } : {}),
});

/** Top-level runs (child runs show in their parent's graph), newest first: run ids sort by start time. */
export async function runsPage(store: RunStore, query: RunsQuery): Promise<RunsPage> {
  const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true, descending: true });
  const runs = rows.flatMap((row) => (row.doc && !row.doc.parent ? [row.doc] : []));
  const counts: Record<RunStatus, number> = { running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  const workflows = new Set<string>();
  const search = query.search?.trim().toLowerCase();
  const matching = runs.filter((run) => {
    workflows.add(run.workflow);
    if (query.workflow && run.workflow !== query.workflow) return false;
    if (search && !run.runId.toLowerCase().includes(search)) return false;
    counts[run.status] += 1;
    return !query.status || run.status === query.status;
  });
  const offset = query.offset ?? 0;
  return {
    runs: matching.slice(offset, offset + (query.limit ?? 200)).map(summaryOf),
    matched: matching.length, total: runs.length, workflows: [...workflows].sort(), counts,
  };
}

/**
 * The newest top-level runs without filters, from the newest heads alone (child runs are skipped,
 * as in `runsPage`): the first screenful of the runs page while the whole list is being read.
 */
export async function newestRuns(store: RunStore, query: Pick<RunsQuery, 'offset' | 'limit'>): Promise<RunsPage> {
  const wanted = (query.offset ?? 0) + (query.limit ?? 200);
  const runs: RunDoc[] = [];
  for (let skip = 0; runs.length < wanted; skip += wanted) {
    const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true, descending: true, limit: wanted, skip });
    runs.push(...rows.flatMap((row) => (row.doc && !row.doc.parent ? [row.doc] : [])));
    if (rows.length < wanted) break;
  }
  const shown = runs.slice(query.offset ?? 0, wanted);
  return { runs: shown.map(summaryOf), matched: shown.length, total: shown.length, workflows: [], counts: { running: 0, succeeded: 0, failed: 0, cancelled: 0 }, partial: true };
}

export interface TaskAttemptDetail {
  attempt: number;
  activationId?: string;
  invokedAt?: number;
  childRunId?: string;
  /** The conductor's activation and the action's, as the platform recorded them (result, logs). */
  activations: { activationId: string; name?: string; status?: string; result?: unknown; logs?: string[]; start?: number; end?: number }[];
}

export interface TaskDetail {
  runId: string;
  position: number;
  stageId: string;
  index: number;
  /** The run's data when the stage was entered: what the stage's `input` path selects from. */
  stageInput?: Json;
  outcome?: { ok: boolean; attempt: number; completedAt: number; result?: Json; failure?: RunFailure; activationId?: string };
  attempts: TaskAttemptDetail[];
}

export async function taskDetail(store: RunStore, platform: PlatformReader | undefined, runId: string, position: number, index: number): Promise<TaskDetail | undefined> {
  const found = await nativeTask(store, runId, position, index) ?? await viewedTask(store, runId, position, index);
  if (!found) return undefined;
  const { stageId, stageInput, task, result } = found;
  const attempts = await Promise.all(task.attempts.map(async (attempt): Promise<TaskAttemptDetail> => ({
    ...attempt,
    activations: attempt.activationId && platform ? await activationChain(platform, attempt.activationId) : [],
  })));
  const outcome = task.outcome;
  return {
    runId, position, stageId, index, ...(stageInput !== undefined ? { stageInput } : {}), attempts,
    ...(outcome ? {
      outcome: {
        ok: outcome.ok, attempt: outcome.attempt, completedAt: outcome.completedAt, ...(outcome.activationId ? { activationId: outcome.activationId } : {}),
        ...(result?.result !== undefined ? { result: result.result } : {}),
        ...(result?.failure ? { failure: result.failure } : outcome.error ? { failure: { error: outcome.error, cause: outcome.error } } : {}),
      },
    } : {}),
  };
}

interface FoundTask { stageId: string; stageInput?: Json; task: StageView['tasks'][number]; result?: ResultDoc }

/** A native run's task from its own few documents: a wide map's other tasks are not read. */
async function nativeTask(store: RunStore, runId: string, position: number, index: number): Promise<FoundTask | undefined> {
  const stage = await store.get<StageDoc>(docIds.stage(runId, position));
  if (!stage) return undefined;
  const [invokes, result] = await Promise.all([
    store.listByPrefix<InvokeDoc>(`${docIds.invokesPrefix(runId, position)}${String(index).padStart(6, '0')}/`, { includeDocs: true }),
    store.get<ResultDoc>(docIds.result(runId, position, index, stage.taskCount)),
  ]);
  const attempts = invokes.flatMap((row) => (row.doc ? [row.doc] : [])).map((doc) => ({
    attempt: doc.attempt, ...(doc.activationId ? { activationId: doc.activationId } : {}), ...(doc.invokedAt ? { invokedAt: doc.invokedAt } : {}),
    ...(doc.childRunId ? { childRunId: doc.childRunId } : {}),
  }));
  if (attempts.length === 0 && !result) return undefined;
  const outcome = result ? {
    ok: result.ok, attempt: result.attempt, completedAt: result.completedAt,
    ...(result.activationId ? { activationId: result.activationId } : {}), ...(result.failure ? { error: result.failure.error } : {}),
  } : undefined;
  return { stageId: stage.stageId, stageInput: stage.data, task: { index, attempts, ...(outcome ? { outcome } : {}) }, ...(result ? { result } : {}) };
}

/** A streaming run's task, from the run's view (its records are derived from the checkpointed context). */
async function viewedTask(store: RunStore, runId: string, position: number, index: number): Promise<FoundTask | undefined> {
  const view = await describeRun(store, runId, true);
  const stage = view?.stages.find((s) => s.position === position);
  const task = stage?.tasks.find((t) => t.index === index);
  return stage && task ? { stageId: stage.stageId, task } : undefined;
}

interface ActivationRecord { activationId: string; name?: string; start?: number; end?: number; logs?: string[]; response?: { status?: string; result?: unknown } }

/**
 * An activation and, for a conductor (the task conductor runs the user's action as a composition),
 * the component activations its `logs` list, as OpenWhisk records them for conductor actions.
 */
async function activationChain(platform: PlatformReader, activationId: string): Promise<TaskAttemptDetail['activations']> {
  const read = async (id: string): Promise<TaskAttemptDetail['activations'][number]> => {
    try {
      const record = await platform.activations.get({ name: id }) as ActivationRecord;
      return {
        activationId: id, ...(record.name ? { name: record.name } : {}), ...(record.response?.status ? { status: record.response.status } : {}),
        result: record.response?.result, logs: record.logs ?? [], ...(record.start ? { start: record.start } : {}), ...(record.end ? { end: record.end } : {}),
      };
    } catch {
      return { activationId: id, status: 'not found (yet)' };
    }
  };
  const primary = await read(activationId);
  const components = (primary.logs ?? []).filter((line) => /^[0-9a-f]{32}$/.test(line)).slice(0, 10);
  return [primary, ...await Promise.all(components.map(read))];
}

export interface WorkflowPage {
  name: string;
  definition: Workflow;
  yaml: string;
  model: 'native' | 'streaming';
  deployedAt: number;
  trigger: string;
  rule?: unknown;
  feeds: { trigger: string; feed?: unknown; status: string }[];
  graph: WorkflowGraph;
  runs: RunSummary[];
}

export async function workflowPage(store: RunStore, platform: PlatformReader | undefined, name: string): Promise<WorkflowPage | undefined> {
  const doc = await store.get<WorkflowDoc>(docIds.workflow(name));
  if (!doc) return undefined;
  const get = async (read: () => Promise<unknown>): Promise<unknown> => {
    try { return await read(); } catch { return undefined; }
  };
  const rule = platform ? await get(() => platform.rules.get({ name: workflowRule(name) })) as { name?: string; status?: string; trigger?: unknown; action?: unknown } | undefined : undefined;
  const feeds: WorkflowPage['feeds'] = [];
  for (const trigger of platform ? [cronTrigger(name), changesTrigger(name)] : []) {
    const found = await get(() => platform!.triggers.get({ name: trigger })) as { annotations?: { key: string; value: unknown }[] } | undefined;
    if (found) feeds.push({ trigger, feed: found.annotations?.find((a) => a.key === 'feed')?.value, status: 'deployed' });
  }
  const recent = await runsPage(store, { workflow: name, limit: 20 });
  return {
    name, definition: doc.definition, yaml: stringify(doc.definition), model: doc.model ?? 'native', deployedAt: doc.deployedAt,
    trigger: doc.trigger || workflowTrigger(name),
    ...(rule ? { rule: { name: rule.name, status: rule.status, trigger: rule.trigger, action: rule.action } } : {}),
    feeds, graph: workflowGraph(doc.definition), runs: recent.runs,
  };
}

export async function workflowNames(store: RunStore): Promise<string[]> {
  return (await store.listByPrefix(docIds.workflowsPrefix())).map((row) => row.id.slice(docIds.workflowsPrefix().length));
}
