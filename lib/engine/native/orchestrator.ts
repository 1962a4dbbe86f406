/**
 * The native reactive orchestrator: one call per event, no process that waits for a run.
 *
 * Each event is recorded and the conditions are evaluated against the run state in the store;
 * whatever comes next is started with non-blocking invocations. Every side effect hangs off a
 * create-only document (see lib/store/run-documents.ts), so any number of concurrent, duplicated or
 * retried events produce each transition, each task start and each join exactly once:
 * - a completion writes `result/<run>/<seq>/<index>`; a duplicate finds it there and changes nothing;
 * - a join is complete when every bucket of results is full (two small `_all_docs` ranges);
 * - the next stage is entered by whoever creates `stage/<run>/<seq+1>` first; everyone else reads
 *   the winner's decision and only repeats idempotent steps;
 * - a task attempt runs only after its `invoke/...` claim was created.
 * After a claim, losers still "realize" the claimed document (start its tasks, finish the run):
 * those steps are themselves claimed, so a retried activation repairs a crash of the first one
 * without doubling anything.
 */
import { EntityNotFoundError, InvalidInputError, hasErrorCode } from '../../errors';
import type { Json, JsonObject } from '../../model/json';
import { assignPath } from '../../model/path';
import type { CatchRule, InvocationOptions, Stage, TaskStage, Workflow } from '../../model/workflow';
import { claim, updateWithRetry } from '../../store/claims';
import {
  END_STAGE, bucketSize, docIds,
  type InvokeDoc, type ResultDoc, type RunDoc, type RunFailure, type StageDoc, type WorkflowDoc,
} from '../../store/run-documents';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { chooseNext } from '../../conditions/choice';
import { applyResult, errorName, mapItems, matchCatch, retryDelay, selectInput, taskParams, toFailure } from './data-flow';
import type { OrchestratorEvent, TaskContext } from './events';
import type { TaskInvoker } from './invoker';
import { workflowTrigger } from '../../triggers/names';

export interface OrchestratorContext {
  store: RunStore;
  invoker: TaskInvoker;
  /** Namespace that unqualified action names resolve in (`__OW_NAMESPACE`). */
  namespace: string;
  /** This orchestrator activation, recorded on claims and on failures it detects. */
  activationId: string;
  /** An invoke claim older than this without an activation id is taken over (its claimer died). */
  claimLeaseMs?: number;
  now?: () => number;
}

export type EventOutcome =
  | { outcome: 'started'; runId: string }
  | { outcome: 'recorded'; runId: string }
  | { outcome: 'duplicate'; runId: string }
  | { outcome: 'ignored'; runId: string; reason: string };

/** A run as stored: the head plus the definition it was started with (redeploys don't affect it). */
export interface RunHead extends RunDoc {
  definition: Workflow;
  trigger: string;
  selfReporting: string[];
}

const DEFAULT_LEASE_MS = 60_000;
const START_PARALLELISM = 8;
/**
 * In-flight bound of a map without `concurrency`. The activation that opens a stage starts its whole
 * window itself, so the window must fit in one orchestrator activation's time limit (at a few dozen
 * starts per second on the embedded CouchDB, 10,000 starts do not); completions start the rest.
 */
const DEFAULT_MAP_WINDOW = 1_000;

/**
 * Transition documents never change once claimed, so a warm orchestrator container keeps the ones
 * it has read: most completion events of a wide stage then cost one read less.
 */
const stageCaches = new WeakMap<RunStore, Map<string, StoredDoc<StageDoc>>>();
const STAGE_CACHE_SIZE = 1_000;

async function readStage(ctx: OrchestratorContext, runId: string, seq: number): Promise<StoredDoc<StageDoc> | undefined> {
  const id = docIds.stage(runId, seq);
  const cache = stageCaches.get(ctx.store) ?? stageCaches.set(ctx.store, new Map()).get(ctx.store)!;
  const cached = cache.get(id);
  if (cached) return cached;
  const doc = await ctx.store.get<StageDoc>(id);
  if (doc) {
    if (cache.size >= STAGE_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(id, doc);
  }
  return doc;
}

async function forEachLimited(count: number, limit: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await work(next++);
  }));
}

export async function handleEvent(ctx: OrchestratorContext, event: OrchestratorEvent): Promise<EventOutcome> {
  switch (event.type) {
    case 'run.started':
      return startRun(ctx, event);
    case 'task.completed':
      return onTaskCompleted(ctx, event);
    case 'task.failed':
      return onTaskFailed(ctx, event);
    default: {
      const unknownEvent: never = event;
      throw new InvalidInputError('unknown event', { event: unknownEvent });
    }
  }
}

async function startRun(ctx: OrchestratorContext, event: Extract<OrchestratorEvent, { type: 'run.started' }>): Promise<EventOutcome> {
  // Deployed by `whiskflow deploy` (definition in the store) or by wskdeploy (definition on the trigger).
  const deployed: WorkflowDoc | undefined = (await ctx.store.get<WorkflowDoc>(docIds.workflow(event.workflow)))
    ?? (event.definition ? { type: 'workflow', name: event.workflow, definition: event.definition, trigger: workflowTrigger(event.workflow), selfReporting: [], deployedAt: 0 } : undefined);
  if (!deployed) throw new EntityNotFoundError('workflow', event.workflow);
  const head: RunHead = {
    type: 'run', runId: event.runId, workflow: event.workflow, input: event.input, status: 'running',
    startedAt: now(ctx), startedBy: ctx.activationId,
    definition: deployed.definition, trigger: deployed.trigger, selfReporting: deployed.selfReporting,
  };
  const created = await claim(ctx.store, docIds.run(event.runId), head);
  const firstStage = created.doc.definition.stages[0];
  await enter(ctx, created.doc, propose(ctx, created.doc, 0, firstStage?.id ?? END_STAGE, created.doc.input));
  return created.won ? { outcome: 'started', runId: event.runId } : { outcome: 'duplicate', runId: event.runId };
}

async function onTaskCompleted(ctx: OrchestratorContext, event: Extract<OrchestratorEvent, { type: 'task.completed' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const result: ResultDoc = {
    type: 'result', runId: run.runId, seq: stage.seq, index: event.task.index, attempt: event.task.attempt, ok: true,
    result: event.result, completedAt: now(ctx), ...(event.activationId ? { activationId: event.activationId } : {}),
  };
  const written = await ctx.store.createOnly(docIds.result(run.runId, stage.seq, event.task.index, stage.taskCount), result);
  // Even a duplicate goes on: if the activation that wrote the result died before these steps, this
  // one completes them, and each of them is claimed so nothing happens twice.
  await startNextInWindow(ctx, run, stage, event.task.index);
  await joinIfComplete(ctx, run, stage, event.task.index);
  return { outcome: written === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

async function onTaskFailed(ctx: OrchestratorContext, event: Extract<OrchestratorEvent, { type: 'task.failed' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const { task } = event;
  // A late timeout or failure of an attempt whose task already has its outcome changes nothing.
  if (await ctx.store.get(docIds.result(run.runId, stage.seq, task.index, stage.taskCount))) {
    return { outcome: 'duplicate', runId: run.runId };
  }
  const name = errorName(event.error);
  const invocation = invocationOf(stageOf(run.definition, stage.stageId), task.index);
  const delay = retryDelay(invocation.retry, task.attempt, name);
  const activationId = event.activationId ?? (await ctx.store.get<InvokeDoc>(docIds.invoke(run.runId, stage.seq, task.index, task.attempt)))?.activationId;
  if (delay !== undefined) {
    const started = await startTask(ctx, run, stage, task.index, task.attempt + 1, delay);
    return { outcome: started ? 'recorded' : 'duplicate', runId: run.runId };
  }
  const failure = { ...toFailure(event.error, stage.stageId, activationId), error: name };
  const result: ResultDoc = {
    type: 'result', runId: run.runId, seq: stage.seq, index: task.index, attempt: task.attempt, ok: false, failure,
    completedAt: now(ctx), ...(activationId ? { activationId } : {}),
  };
  const written = await ctx.store.createOnly(docIds.result(run.runId, stage.seq, task.index, stage.taskCount), result);
  await failStage(ctx, run, stage, failure);
  return { outcome: written === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

async function loadTaskStage(ctx: OrchestratorContext, task: TaskContext): Promise<{ run: StoredDoc<RunHead>; stage: StoredDoc<StageDoc> } | { ignored: string }> {
  const run = await ctx.store.get<RunHead>(docIds.run(task.runId));
  if (!run) return { ignored: `run ${task.runId} not found` };
  if (run.status !== 'running') return { ignored: `run ${task.runId} is ${run.status}` };
  const stage = await readStage(ctx, task.runId, task.seq);
  if (!stage || stage.stageId !== task.stageId || task.index < 0 || task.index >= stage.taskCount) {
    return { ignored: `no task ${task.seq}/${task.index} in stage ${task.stageId}` };
  }
  return { run, stage };
}

// ---------------------------------------------------------------------------------------------
// Transitions

/** What the seq-th transition would be if this activation wins it. */
function propose(ctx: OrchestratorContext, run: RunHead, seq: number, stageId: string, data: Json): StageDoc {
  const base = { type: 'stage' as const, runId: run.runId, seq, stageId, data, taskCount: 0, window: 0, startedAt: now(ctx), claimedBy: ctx.activationId };
  if (stageId === END_STAGE) return { ...base, end: { status: 'succeeded', output: data } };
  const stage = stageOf(run.definition, stageId);
  switch (stage.kind) {
    case 'task':
    case 'reduce':
      return { ...base, taskCount: 1, window: 1 };
    case 'parallel':
      return { ...base, taskCount: stage.branches.length, window: stage.branches.length };
    case 'map': {
      let count: number;
      try {
        count = mapItems(stage, data).length;
      } catch (error) {
        if (!hasErrorCode(error, 'INVALID_INPUT')) throw error;
        // The run's input does not fit the workflow: end the run with the cause, attributed to this activation.
        return endProposal(base, { error: 'whiskflow.InvalidInput', cause: error.message, stageId, activationId: ctx.activationId });
      }
      return { ...base, taskCount: count, window: Math.min(count, stage.concurrency ?? DEFAULT_MAP_WINDOW) };
    }
    case 'choice':
    case 'succeed':
    case 'fail':
      return base;
    default:
      return assertNever(stage);
  }
}

function endProposal(base: StageDoc, failure: RunFailure): StageDoc {
  return { ...base, stageId: END_STAGE, taskCount: 0, window: 0, end: { status: 'failed', failure } };
}

/** Claims the transition and carries out whatever the stored (winning) document says. */
async function enter(ctx: OrchestratorContext, run: RunHead, proposal: StageDoc): Promise<void> {
  const claimed = await claim(ctx.store, docIds.stage(run.runId, proposal.seq), proposal);
  await realize(ctx, run, claimed.doc);
}

async function realize(ctx: OrchestratorContext, run: RunHead, stageDoc: StoredDoc<StageDoc>): Promise<void> {
  if (stageDoc.end) return finishRun(ctx, run, stageDoc.end);
  const stage = stageOf(run.definition, stageDoc.stageId);
  const next = (stageId: string, data: Json) => enter(ctx, run, propose(ctx, run, stageDoc.seq + 1, stageId, data));
  switch (stage.kind) {
    case 'choice': {
      const target = chooseNext(stage.rules, stageDoc.data, stage.default);
      if (target === undefined) {
        return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1 }, { error: 'whiskflow.NoChoiceMatched', cause: `no rule of choice '${stage.id}' holds and it has no default`, stageId: stage.id, activationId: ctx.activationId }));
      }
      return next(target, stageDoc.data);
    }
    case 'succeed':
      return enter(ctx, run, { ...stageDoc, seq: stageDoc.seq + 1, stageId: END_STAGE, end: { status: 'succeeded', output: applyResult({ resultPath: null, output: stage.output }, stageDoc.data, null) } });
    case 'fail':
      return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1 }, { error: stage.error, cause: stage.cause ?? stage.error, stageId: stage.id }));
    case 'task':
    case 'reduce':
    case 'map':
    case 'parallel':
      if (stageDoc.taskCount === 0) return completeStage(ctx, run, stageDoc);
      // A few starts in flight at once: each is a handful of store writes plus one invoke.
      await forEachLimited(stageDoc.window, START_PARALLELISM, (index) => startTask(ctx, run, stageDoc, index, 1, 0).then(() => undefined));
      return;
    default:
      return assertNever(stage);
  }
}

async function finishRun(ctx: OrchestratorContext, run: RunHead, end: NonNullable<StageDoc['end']>): Promise<void> {
  await updateWithRetry<RunHead>(ctx.store, docIds.run(run.runId), (current) => {
    if (current.status !== 'running') return undefined;
    return {
      ...current, status: end.status, endedAt: now(ctx),
      ...(end.output !== undefined ? { output: end.output } : {}), ...(end.failure ? { failure: end.failure } : {}),
    };
  });
}

/** With a concurrency bound, the completion of element i starts element i + window. */
async function startNextInWindow(ctx: OrchestratorContext, run: RunHead, stage: StageDoc, index: number): Promise<void> {
  const following = index + stage.window;
  if (stage.window === 0 || following >= stage.taskCount) return;
  // Once the stage was left (a task failed into a catch stage), its remaining elements are not started.
  if (await ctx.store.get(docIds.stage(run.runId, stage.seq + 1))) return;
  await startTask(ctx, run, stage, following, 1, 0);
}

/**
 * Two-level join (see run-documents.ts): is the bucket of `index` full? then mark it joined; are
 * all buckets joined? then the stage is complete. Concurrent last writers may both see "complete";
 * the transition claim in `completeStage` lets only one of them decide.
 */
async function joinIfComplete(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, index: number): Promise<void> {
  const size = bucketSize(stageDoc.taskCount);
  const bucket = Math.floor(index / size);
  const expected = Math.min(size, stageDoc.taskCount - bucket * size);
  const inBucket = await ctx.store.listByPrefix(docIds.bucketPrefix(run.runId, stageDoc.seq, bucket));
  if (inBucket.length < expected) return;
  await ctx.store.createOnly(docIds.joinedBucket(run.runId, stageDoc.seq, bucket), { type: 'joined', runId: run.runId, seq: stageDoc.seq, bucket });
  const joined = await ctx.store.listByPrefix(docIds.joinedPrefix(run.runId, stageDoc.seq));
  if (joined.length < Math.ceil(stageDoc.taskCount / size)) return;
  await completeStage(ctx, run, stageDoc);
}

/** Joins the stage's results in index order and enters what comes next (or fails the stage). */
async function completeStage(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc): Promise<void> {
  const prefix = docIds.resultsPrefix(run.runId, stageDoc.seq);
  const rows = await ctx.store.listByPrefix<ResultDoc>(prefix, { includeDocs: true });
  const results = rows.map((row) => row.doc).filter((doc): doc is StoredDoc<ResultDoc> => doc !== undefined);
  const failed = results.find((result) => !result.ok);
  if (failed) return failStage(ctx, run, stageDoc, failed.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown', stageId: stageDoc.stageId });
  const stage = stageOf(run.definition, stageDoc.stageId);
  const values = results.map((result) => result.result ?? null);
  const joined: Json = stage.kind === 'map' || stage.kind === 'parallel' ? values : values[0] ?? null;
  const data = stage.kind === 'choice' || stage.kind === 'succeed' || stage.kind === 'fail'
    ? stageDoc.data
    : applyResult(stage, stageDoc.data, joined);
  await enter(ctx, run, propose(ctx, run, stageDoc.seq + 1, nextStageId(run.definition, stage), data));
}

async function failStage(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, failure: RunFailure): Promise<void> {
  const stage = stageOf(run.definition, stageDoc.stageId);
  const rule: CatchRule | undefined = 'catch' in stage ? matchCatch(stage.catch, failure.error) : undefined;
  if (!rule) {
    return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1, startedAt: now(ctx), claimedBy: ctx.activationId }, failure));
  }
  const data = rule.resultPath === null ? stageDoc.data : assignPath(stageDoc.data, rule.resultPath, failure as unknown as JsonObject);
  return enter(ctx, run, propose(ctx, run, stageDoc.seq + 1, rule.next, data));
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** Claims attempt `attempt` of task `index` and invokes it; false when someone else had it. */
async function startTask(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, index: number, attempt: number, delayMs: number): Promise<boolean> {
  const id = docIds.invoke(run.runId, stageDoc.seq, index, attempt);
  const claimed = await claim<InvokeDoc>(ctx.store, id, { type: 'invoke', runId: run.runId, seq: stageDoc.seq, index, attempt, claimedAt: now(ctx), claimedBy: ctx.activationId });
  if (!claimed.won) {
    const stale = !claimed.doc.activationId && now(ctx) - claimed.doc.claimedAt > (ctx.claimLeaseMs ?? DEFAULT_LEASE_MS);
    if (!stale) return false;
    // The claimer died between claim and invoke: take the claim over, compare-and-swap so only one does.
    try {
      await ctx.store.replace({ ...claimed.doc, claimedAt: now(ctx), claimedBy: ctx.activationId });
    } catch (error) {
      if (hasErrorCode(error, 'STORE_CONFLICT')) return false;
      throw error;
    }
  }
  const stage = stageOf(run.definition, stageDoc.stageId);
  const invocation = invocationOf(stage, index);
  const context: TaskContext = { runId: run.runId, workflow: run.workflow, seq: stageDoc.seq, index, attempt, trigger: run.trigger, stageId: stage.id };
  const action = qualify(invocation.action, ctx.namespace);
  const params = await taskParamsFor(ctx, run, stageDoc, stage, index);
  const activationId = await ctx.invoker.start({ context, action, params, delayMs, selfReporting: run.selfReporting.includes(invocation.action) || run.selfReporting.includes(action) });
  await updateWithRetry<InvokeDoc>(ctx.store, id, (current) => (current.activationId ? undefined : { ...current, activationId, invokedAt: now(ctx) }));
  if (invocation.timeoutMs !== undefined) await ctx.invoker.scheduleTimeout(context, invocation.timeoutMs + delayMs);
  return true;
}

async function taskParamsFor(ctx: OrchestratorContext, run: RunHead, stageDoc: StageDoc, stage: Stage, index: number): Promise<JsonObject> {
  switch (stage.kind) {
    case 'task':
      return taskParams(stage, selectInput(stage, stageDoc.data));
    case 'map':
      return taskParams(stage, mapItems(stage, stageDoc.data)[index]);
    case 'parallel': {
      const branchTask = branchTaskOf(stage, index);
      return taskParams(branchTask, selectInput(branchTask, selectInput(stage, stageDoc.data) ?? null));
    }
    case 'reduce': {
      const results = await resultsOfStage(ctx, run, stage.from, stageDoc.seq);
      return { ...(stage.params ?? {}), results };
    }
    default:
      throw new InvalidInputError(`stage '${stage.id}' (${stage.kind}) runs no tasks`, { stageId: stage.id });
  }
}

/** Results of the latest earlier transition into stage `stageId` (what a reduce stage reduces). */
async function resultsOfStage(ctx: OrchestratorContext, run: RunHead, stageId: string, beforeSeq: number): Promise<Json[]> {
  const stages = await ctx.store.listByPrefix<StageDoc>(docIds.stagesPrefix(run.runId), { includeDocs: true });
  const source = stages.map((row) => row.doc).filter((doc) => doc && doc.stageId === stageId && doc.seq < beforeSeq).pop();
  if (!source) throw new InvalidInputError(`reduce found no results of stage '${stageId}'`, { stageId });
  const rows = await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, source.seq), { includeDocs: true });
  return rows.map((row) => row.doc?.result ?? null);
}

function invocationOf(stage: Stage, index: number): InvocationOptions {
  switch (stage.kind) {
    case 'task':
    case 'map':
    case 'reduce':
      return stage;
    case 'parallel':
      return branchTaskOf(stage, index);
    default:
      throw new InvalidInputError(`stage '${stage.id}' (${stage.kind}) runs no tasks`, { stageId: stage.id });
  }
}

/** The native engine runs parallel branches made of one task each (checked at deploy by `checkSupported`). */
function branchTaskOf(stage: Extract<Stage, { kind: 'parallel' }>, index: number): TaskStage {
  const only = stage.branches[index]?.stages[0];
  if (!only || only.kind !== 'task' || stage.branches[index]?.stages.length !== 1) {
    throw new InvalidInputError(`parallel stage '${stage.id}' branch ${index} must be a single task for the native engine`, { stageId: stage.id, index });
  }
  return only;
}

function stageOf(workflow: Workflow, stageId: string): Stage {
  const stage = workflow.stages.find((candidate) => candidate.id === stageId);
  if (!stage) throw new InvalidInputError(`workflow '${workflow.name}' has no top-level stage '${stageId}'`, { stageId });
  return stage;
}

function nextStageId(workflow: Workflow, stage: Stage): string {
  if (stage.end) return END_STAGE;
  if (stage.next) return stage.next;
  const position = workflow.stages.findIndex((candidate) => candidate.id === stage.id);
  return workflow.stages[position + 1]?.id ?? END_STAGE;
}

/** `sum` → `/guest/sum`; `pkg/sum` → `/guest/pkg/sum`; fully qualified names are kept. */
export function qualify(action: string, namespace: string): string {
  return action.startsWith('/') ? action : `/${namespace}/${action}`;
}

function now(ctx: OrchestratorContext): number {
  return ctx.now ? ctx.now() : Date.now();
}

function assertNever(value: never): never {
  throw new InvalidInputError('unexpected stage kind', { value });
}
