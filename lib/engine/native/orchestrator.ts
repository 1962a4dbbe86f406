/**
 * The native reactive orchestrator: one call per event, no process that waits for a run.
 *
 * Each event is recorded and the conditions are evaluated against the run state in the store;
 * whatever comes next is started with non-blocking invocations. Every side effect hangs off a
 * create-only document (see lib/store/run-documents.ts), so any number of concurrent, duplicated or
 * retried events produce each transition, each task start and each join exactly once:
 * - a completion writes `result/<run>/<seq>/<index>`; a duplicate finds it there and changes nothing;
 * - a stage of one task is complete when its result is written; a wider join is complete when every
 *   bucket of results is full (small `_all_docs` ranges: the bucket, and the buckets' joined markers);
 * - the next stage is entered by whoever creates `stage/<run>/<seq+1>` first; everyone else reads
 *   the winner's decision and only repeats idempotent steps;
 * - a task attempt runs only after its `invoke/...` claim was created.
 * After a claim, losers still "realize" the claimed document (start its tasks, finish the run):
 * those steps are themselves claimed, so a retried activation repairs a crash of the first one
 * without doubling anything.
 *
 * Round trips are what a transition costs, so independent create-only writes travel together in one
 * `_bulk_docs` (lib/store/bulk.ts), a winner never re-reads what it created, and documents that
 * never change are kept in the warm container (warm-cache.ts). docs/exactly-once.md has the argument.
 */
import { randomUUID } from 'node:crypto';
import { EntityNotFoundError, InvalidInputError, StoreConflictError, hasErrorCode } from '../../errors';
import type { Json, JsonObject } from '../../model/json';
import { assignPath } from '../../model/path';
import { mapWindow, type Branch, type CatchRule, type InvocationOptions, type ParallelStage, type Stage, type TaskStage, type Workflow } from '../../model/workflow';
import { claim, updateWithRetry } from '../../store/claims';
import {
  END_STAGE, bucketSize, docIds,
  type InvokeDoc, type JoinedDoc, type ResultDoc, type RunDoc, type RunFailure, type StageDoc, type StartDoc, type WorkflowDoc,
} from '../../store/run-documents';
import { BULK_CHUNK, createAll, createOne, replaceAll } from '../../store/bulk';
import { withoutMeta, type CreateResult, type ListedDoc, type RunStore, type StoredDoc } from '../../store/run-store';
import { chooseNext } from '../../conditions/choice';
import { applyResult, childFailure, errorName, mapItems, matchCatch, retryDelay, selectInput, taskParams, toFailure } from './data-flow';
import type { OrchestratorEvent, TaskContext } from './events';
import type { TaskInvoker } from './invoker';
import { readShared, warmCacheOf } from './warm-cache';
import { forEachLimited } from '../../limited';
import { ActivationRecorder } from './activation-recorder';
import { ActionUnavailableError } from './action-check';
import { workflowTrigger } from '../../openwhisk/names';

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

/**
 * An invoke claim older than this without an activation id is taken over (its claimer died between
 * claim and invoke). It must outlive the claimer's activation (the orchestrator's 300 s limit): a
 * claimer still retrying a throttled invoke must not be taken over, or its task would start twice.
 */
const DEFAULT_LEASE_MS = 310_000;
/** Invokes in flight at once when one activation starts many tasks (each is one POST to the platform). */
const INVOKE_PARALLELISM = 16;

/** One handling of one event: the context plus the token its claims carry. */
interface Handling extends OrchestratorContext {
  /**
   * Unique per handling (activation ids are unique per activation, but tests and retried requests
   * can share one): a claim with this token is this handling's own, also when the store's answer to
   * its create was lost and a repeated create answered `exists`.
   */
  token: string;
}

/** An invoke claim this activation holds: created by it, or taken over from a dead claimer. */
type OwnedClaim = StoredDoc<InvokeDoc>;

const cacheOf = (ctx: Handling) => warmCacheOf(ctx.store);

/** Transition documents never change once claimed: a warm container reads each at most once. */
async function readStage(ctx: Handling, runId: string, seq: number): Promise<StoredDoc<StageDoc> | undefined> {
  const id = docIds.stage(runId, seq);
  const cached = cacheOf(ctx).stages.get(id);
  if (cached) return cached;
  const doc = await readShared(cacheOf(ctx), id, () => ctx.store.get<StageDoc>(id));
  if (doc) cacheOf(ctx).stages.set(id, doc);
  return doc;
}

export async function handleEvent(context: OrchestratorContext, event: OrchestratorEvent): Promise<EventOutcome> {
  const ctx: Handling = { ...context, token: `${context.activationId}/${randomUUID()}` };
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

/** An attempt whose invoke claim exists without an activation id. */
export interface ClaimedAttempt { index: number; attempt: number }

/**
 * Starts the attempts of stage `seq` whose claimer died between claim and invoke, as a retried
 * event would: through `startTasks`, whose claim take-over (compare-and-swap, only after the claim
 * lease) lets one caller start each of them. For the sweep, which is the only one left to notice:
 * the event that made the claim was already handled. Returns how many it started; a claim still
 * within its lease, or a stage the run already left, starts nothing.
 */
export async function resumeClaimedAttempts(context: OrchestratorContext, runId: string, seq: number, attempts: readonly ClaimedAttempt[]): Promise<number> {
  const ctx: Handling = { ...context, token: `${context.activationId}/${randomUUID()}` };
  const run = await ctx.store.get<RunHead>(docIds.run(runId));
  if (!run || run.status !== 'running') return 0;
  const stage = await readStage(ctx, runId, seq);
  if (!stage || stage.end || await readStage(ctx, runId, seq + 1)) return 0;
  let started = 0;
  for (const attempt of new Set(attempts.map((item) => item.attempt))) {
    const indexes = attempts.filter((item) => item.attempt === attempt && item.index < stage.taskCount).map((item) => item.index);
    started += await startTasks(ctx, run, stage, indexes, attempt, 0);
  }
  return started;
}

async function startRun(ctx: Handling, event: Extract<OrchestratorEvent, { type: 'run.started' }>): Promise<EventOutcome> {
  // Deployed by `whiskflow deploy` (definition in the store) or by wskdeploy (definition on the trigger).
  const deployed: WorkflowDoc | undefined = (await ctx.store.get<WorkflowDoc>(docIds.workflow(event.workflow)))
    ?? (event.definition ? { type: 'workflow', name: event.workflow, definition: event.definition, trigger: workflowTrigger(event.workflow), selfReporting: [], deployedAt: 0 } : undefined);
  if (!deployed) throw new EntityNotFoundError('workflow', event.workflow);
  const runId = event.startKey ? await runIdOfStart(ctx, event.startKey, event) : event.runId;
  const head: RunHead = {
    type: 'run', runId, workflow: event.workflow, input: event.input, status: 'running',
    startedAt: now(ctx), startedBy: ctx.activationId,
    definition: deployed.definition, trigger: deployed.trigger, selfReporting: deployed.selfReporting,
  };
  const won = await beginRun(ctx, head);
  return won ? { outcome: 'started', runId } : { outcome: 'duplicate', runId };
}

/**
 * The run of a start that names none: the first handler of the start key proposes its run id, and
 * every later one (the sweep's fire again of a start it thought lost, the original arriving late)
 * reads it, so one start is one run. The claim precedes the head: a head without its key's claim
 * would be a second run for the same start.
 */
async function runIdOfStart(ctx: Handling, startKey: string, event: Extract<OrchestratorEvent, { type: 'run.started' }>): Promise<string> {
  const claimed = await claim<StartDoc>(ctx.store, docIds.start(startKey), {
    type: 'start', startKey, runId: event.runId, workflow: event.workflow, claimedAt: now(ctx),
  });
  return claimed.doc.runId;
}

/**
 * Creates the run head (create-only: a repeated start finds the first one's head) and enters the
 * first stage. Top-level runs and child runs start alike; returns whether this call created the head.
 */
async function beginRun(ctx: Handling, head: RunHead): Promise<boolean> {
  const created = await claim(ctx.store, docIds.run(head.runId), head);
  // A start refused earlier under the same run id or start key (failed-start.ts) has no definition: it stays failed.
  if (!created.won && !created.doc.definition) return false;
  cacheOf(ctx).runs.set(head.runId, created.doc);
  const firstStage = created.doc.definition.stages[0];
  // The first transition depends only on the stored input: every proposer proposes the same tasks.
  await enter(ctx, created.doc, propose(ctx, created.doc, 0, firstStage?.id ?? END_STAGE, created.doc.input), true);
  return created.won;
}

async function onTaskCompleted(ctx: Handling, event: Extract<OrchestratorEvent, { type: 'task.completed' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const result: ResultDoc = {
    type: 'result', runId: run.runId, seq: stage.seq, index: event.task.index, attempt: event.task.attempt, ok: true,
    result: event.result, completedAt: now(ctx), ...(event.activationId ? { activationId: event.activationId } : {}),
  };
  const resultId = docIds.result(run.runId, stage.seq, event.task.index, stage.taskCount);
  let written: CreateResult['outcome'];
  if (stage.taskCount === 1) {
    written = onlyOutcomeOfAttempt(ctx, run, stage, event.task)
      ? await recordAndAdvance(ctx, run, stage, resultId, result)
      : await recordSingle(ctx, run, stage, resultId, result);
  } else {
    written = (await createOne(ctx.store, resultId, result)).outcome;
    // Even a duplicate goes on: if the activation that wrote the result died before these steps, this
    // one completes them, and each of them is claimed so nothing happens twice.
    await startNextInWindow(ctx, run, stage, event.task.index);
    await joinIfComplete(ctx, run, stage, event.task.index);
  }
  return { outcome: written === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

async function onTaskFailed(ctx: Handling, event: Extract<OrchestratorEvent, { type: 'task.failed' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const { task } = event;
  const resultId = docIds.result(run.runId, stage.seq, task.index, stage.taskCount);
  // A late timeout or failure of an attempt whose task already has its outcome changes nothing.
  if (await ctx.store.get(resultId)) return { outcome: 'duplicate', runId: run.runId };
  const runner = runnerOf(stageOf(run.definition, stage.stageId), task.index);
  const activationId = event.activationId ?? (await ctx.store.get<InvokeDoc>(docIds.invoke(run.runId, stage.seq, task.index, task.attempt)))?.activationId;
  // A child run's failure is already a run failure (its stage, cause and activation): passed on as it is.
  const failure = runner.kind === 'child'
    ? childFailure(event.error, stage.stageId)
    : { ...toFailure(event.error, runner.stageId, activationId), error: errorName(event.error) };
  // A child run is not retried as a whole (a parallel stage has no retry policy; its tasks have theirs).
  const delay = runner.kind === 'action' ? retryDelay(runner.invocation.retry, task.attempt, failure.error) : undefined;
  if (delay !== undefined) {
    const started = await startTasks(ctx, run, stage, [task.index], task.attempt + 1, delay);
    return { outcome: started > 0 ? 'recorded' : 'duplicate', runId: run.runId };
  }
  const result: ResultDoc = {
    type: 'result', runId: run.runId, seq: stage.seq, index: task.index, attempt: task.attempt, ok: false, failure,
    completedAt: now(ctx), ...(activationId ? { activationId } : {}),
  };
  const written = await createOne(ctx.store, resultId, result);
  // What happens next follows the stored outcome, which may be another attempt's success that won
  // the race (a timeout reported while the attempt itself completed): never this event's failure.
  const stored = written.outcome === 'created' ? result : await ctx.store.get<ResultDoc>(resultId);
  if (!stored) throw new StoreConflictError(resultId);
  if (stage.taskCount === 1) await completeStage(ctx, run, stage, [stored]);
  else if (!stored.ok) await failStage(ctx, run, stage, stored.failure ?? failure);
  else await joinIfComplete(ctx, run, stage, task.index);
  return { outcome: written.outcome === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

async function loadTaskStage(ctx: Handling, task: TaskContext): Promise<{ run: RunHead; stage: StoredDoc<StageDoc> } | { ignored: string }> {
  const cached = cacheOf(ctx).runs.get(task.runId);
  // On a cold container both documents are read at once; a warm one usually has both.
  const runId = docIds.run(task.runId);
  const [read, stage] = await Promise.all([cached ? undefined : readShared(cacheOf(ctx), runId, () => ctx.store.get<RunHead>(runId)), readStage(ctx, task.runId, task.seq)]);
  const run = cached ?? read;
  if (!run) return { ignored: `run ${task.runId} not found` };
  // Only a freshly read head tells the status; a cached one may be older, which costs an ended run
  // some idempotent work (its transitions are all claimed) but never a start.
  if (!cached) {
    if (run.status !== 'running') return { ignored: `run ${task.runId} is ${run.status}` };
    cacheOf(ctx).runs.set(task.runId, run);
  }
  if (!stage || stage.stageId !== task.stageId || task.index < 0 || task.index >= stage.taskCount) {
    return { ignored: `no task ${task.seq}/${task.index} in stage ${task.stageId}` };
  }
  return { run, stage };
}

// ---------------------------------------------------------------------------------------------
// Single-task stages: the result's create decides, no join listing

/**
 * Whether a success of `task` can be the only outcome its slot will ever get: its first attempt,
 * without a timer that could report a timeout for it, started through the conductor (which reports
 * each attempt once) or a child run (which ends once). Then a result already stored for the slot is
 * this very outcome delivered again, and whoever decided the next transition decided it on the
 * same result.
 */
function onlyOutcomeOfAttempt(ctx: Handling, run: RunHead, stage: StageDoc, task: TaskContext): boolean {
  if (task.attempt !== 1) return false;
  const runner = runnerOf(stageOf(run.definition, stage.stageId), task.index);
  // A child run ends once (its `$end` transition is claimed) and every report of it carries that end.
  if (runner.kind === 'child') return true;
  return runner.invocation.timeoutMs === undefined && !isSelfReporting(ctx, run, runner.invocation.action);
}

/**
 * The common transition in one request: the result, the claim of the next transition and the claims
 * of the next stage's first tasks go in one `_bulk_docs` (each document is created or refused on its
 * own; see onlyOutcomeOfAttempt for why a refused result with a created transition is consistent).
 */
async function recordAndAdvance(ctx: Handling, run: RunHead, stage: StageDoc, resultId: string, result: ResultDoc): Promise<CreateResult['outcome']> {
  const proposal = proposeAfter(ctx, run, stage, [result.result ?? null]);
  const claims = invokeClaimsFor(ctx, run, proposal);
  const [written, claimed, ...invokes] = await createAll(ctx.store, [
    { id: resultId, body: result }, { id: docIds.stage(run.runId, proposal.seq), body: proposal }, ...claims,
  ]);
  await carryOut(ctx, run, proposal, claimed!, ownedClaims(claims, invokes));
  return written!.outcome;
}

/** A single task's outcome when other outcomes may compete for its slot: the stored one goes on. */
async function recordSingle(ctx: Handling, run: RunHead, stage: StageDoc, resultId: string, result: ResultDoc): Promise<CreateResult['outcome']> {
  const written = await createOne(ctx.store, resultId, result);
  const stored = written.outcome === 'created' ? result : await ctx.store.get<ResultDoc>(resultId);
  if (!stored) throw new StoreConflictError(resultId);
  await completeStage(ctx, run, stage, [stored]);
  return written.outcome;
}

// ---------------------------------------------------------------------------------------------
// Transitions

/** What the seq-th transition would be if this activation wins it. */
function propose(ctx: Handling, run: RunHead, seq: number, stageId: string, data: Json): StageDoc {
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
      return { ...base, taskCount: count, window: mapWindow(stage.concurrency, count) };
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

/**
 * The transition after a stage whose results are all in and all succeeded. It depends only on
 * stored documents (the stage's data and its stored results), so concurrent proposers propose the
 * same stage with the same tasks: that is what lets them claim those tasks along with the transition.
 */
function proposeAfter(ctx: Handling, run: RunHead, stageDoc: StageDoc, values: Json[]): StageDoc {
  const stage = stageOf(run.definition, stageDoc.stageId);
  const joined: Json = stage.kind === 'map' ? values
    : stage.kind === 'parallel' ? values.map((value, index) => branchOutput(stage, index, stageDoc.data, value))
      : values[0] ?? null;
  const data = stage.kind === 'choice' || stage.kind === 'succeed' || stage.kind === 'fail'
    ? stageDoc.data
    : applyResult(stage, stageDoc.data, joined);
  cacheOf(ctx).results.set(`${run.runId}/${stageDoc.seq}`, { stageId: stage.id, seq: stageDoc.seq, values });
  return propose(ctx, run, stageDoc.seq + 1, nextStageId(run.definition, stage), data);
}

/**
 * Claims the transition and carries out whatever the stored (winning) document says. With
 * `withTasks`, the claims of the proposed stage's first tasks go in the same request; only for
 * proposals every proposer makes alike (see proposeAfter), never for failures (whose data differ).
 */
async function enter(ctx: Handling, run: RunHead, proposal: StageDoc, withTasks: boolean): Promise<void> {
  const claims = withTasks ? invokeClaimsFor(ctx, run, proposal) : [];
  const [claimed, ...invokes] = await createAll(ctx.store, [{ id: docIds.stage(run.runId, proposal.seq), body: proposal }, ...claims]);
  await carryOut(ctx, run, proposal, claimed!, ownedClaims(claims, invokes));
}

async function carryOut(ctx: Handling, run: RunHead, proposal: StageDoc, claimed: CreateResult, owned: Map<number, OwnedClaim>): Promise<void> {
  const id = docIds.stage(run.runId, proposal.seq);
  // Read afresh, not through a shared read that may have started before the winner's create.
  const stageDoc = claimed.outcome === 'created' ? { ...proposal, _id: id, _rev: claimed.rev } : cacheOf(ctx).stages.get(id) ?? await ctx.store.get<StageDoc>(id);
  // A create that lost to another create is readable afterwards.
  if (!stageDoc) throw new StoreConflictError(id);
  cacheOf(ctx).stages.set(id, stageDoc);
  // Claims made for a proposal that lost keep their meaning only if the winner runs the same stage.
  await realize(ctx, run, stageDoc, stageDoc.stageId === proposal.stageId ? owned : new Map());
}

async function realize(ctx: Handling, run: RunHead, stageDoc: StoredDoc<StageDoc>, owned: Map<number, OwnedClaim> = new Map()): Promise<void> {
  if (stageDoc.end) return finishRun(ctx, run, stageDoc.end);
  const stage = stageOf(run.definition, stageDoc.stageId);
  const next = (stageId: string, data: Json) => enter(ctx, run, propose(ctx, run, stageDoc.seq + 1, stageId, data), true);
  switch (stage.kind) {
    case 'choice': {
      const target = chooseNext(stage.rules, stageDoc.data, stage.default);
      if (target === undefined) {
        return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1 }, { error: 'whiskflow.NoChoiceMatched', cause: `no rule of choice '${stage.id}' holds and it has no default`, stageId: stage.id, activationId: ctx.activationId }), false);
      }
      return next(target, stageDoc.data);
    }
    case 'succeed':
      return enter(ctx, run, { ...stageDoc, seq: stageDoc.seq + 1, stageId: END_STAGE, end: { status: 'succeeded', output: applyResult({ resultPath: null, output: stage.output }, stageDoc.data, null) } }, false);
    case 'fail':
      return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1 }, { error: stage.error, cause: stage.cause ?? stage.error, stageId: stage.id }), false);
    case 'task':
    case 'reduce':
    case 'map':
    case 'parallel': {
      if (stageDoc.taskCount === 0) return completeStage(ctx, run, stageDoc, []);
      // The window, plus any task this activation already claimed (a proposal that lost may have
      // claimed tasks beyond the winner's window: they are this activation's to start now).
      const indexes = new Set(Array.from({ length: stageDoc.window }, (_, index) => index));
      for (const index of owned.keys()) if (index < stageDoc.taskCount) indexes.add(index);
      await startTasks(ctx, run, stageDoc, [...indexes], 1, 0, owned);
      return;
    }
    default:
      return assertNever(stage);
  }
}

async function finishRun(ctx: Handling, run: RunHead, end: NonNullable<StageDoc['end']>): Promise<void> {
  // Report first, then mark the head: a crash in between leaves the head running, so the redelivered
  // event realizes this end again and reports again (a duplicate for the parent: its result is
  // create-only). The other order would make that event find the child ended and be ignored, and the
  // parent would wait for ever.
  if (run.parent) await reportToParent(ctx, run.parent, end);
  await updateWithRetry<RunHead>(ctx.store, docIds.run(run.runId), (current) => {
    if (current.status !== 'running') return undefined;
    return {
      ...current, status: end.status, endedAt: now(ctx),
      ...(end.output !== undefined ? { output: end.output } : {}), ...(end.failure ? { failure: end.failure } : {}),
    };
  });
}

/** With a concurrency bound, the completion of element i starts element i + window. */
async function startNextInWindow(ctx: Handling, run: RunHead, stage: StageDoc, index: number): Promise<void> {
  const following = index + stage.window;
  if (stage.window === 0 || following >= stage.taskCount) return;
  await startTasks(ctx, run, stage, [following], 1, 0);
}

/**
 * Two-level join (see run-documents.ts): is the bucket of `index` full? then mark it joined; are
 * all buckets joined? then the stage is complete. Concurrent last writers may both see "complete";
 * the transition claim in `completeStage` lets only one of them decide.
 *
 * Round trips on the stage's last completion are the join's latency, so:
 * - the bucket is listed once, with its documents (a bucket is ~sqrt(n) small results): counting
 *   it first and reading it when full cost the last completion one more round trip, for ~1 ms
 *   less server time per completion on pouchdb-server;
 * - a full bucket lists the joined markers with their bodies before creating its own: when every
 *   other bucket already has its marker, the stage is complete without this bucket's marker (a
 *   marker is only ever created after a listing saw its bucket full) and the results are at hand.
 *   That is the usual case of the stage's last completion: bucket, markers, transition. Otherwise
 *   the marker is created and the markers are listed again after that create, so that of
 *   concurrent last bucket completers the one whose marker landed last sees them all. Markers
 *   carry only their results' values (see JoinedDoc), which keeps that listing about as cheap as
 *   a listing of ids. Listing the markers along with the bucket saves one more round trip, but on
 *   every completion it costs a listing per completion instead of one per full bucket (~20% more
 *   store requests on a 1,000-task map): only the completions of what this container knows to be
 *   the stage's last unjoined bucket do it.
 */
async function joinIfComplete(ctx: Handling, run: RunHead, stageDoc: StageDoc, index: number): Promise<void> {
  const size = bucketSize(stageDoc.taskCount);
  const buckets = Math.ceil(stageDoc.taskCount / size);
  const bucket = Math.floor(index / size);
  const expected = Math.min(size, stageDoc.taskCount - bucket * size);
  const joinedPrefix = docIds.joinedPrefix(run.runId, stageDoc.seq);
  const seenKey = `${run.runId}/${stageDoc.seq}`;
  const listMarkers = async (): Promise<ListedDoc<JoinedDoc>[]> => {
    const rows = await ctx.store.listByPrefix<JoinedDoc>(joinedPrefix, { includeDocs: true });
    if (rows.length > (cacheOf(ctx).markersSeen.get(seenKey) ?? 0)) cacheOf(ctx).markersSeen.set(seenKey, rows.length);
    return rows;
  };
  // Once this container has seen every bucket but one joined, the stage is in its last bucket: its
  // completions list the markers along with the bucket (both after the result's create, so the
  // decision below is the same as with the listings one after the other), which takes a round trip
  // off the stage's last completion for at most one bucket's worth of extra listings.
  const early = buckets > 1 && (cacheOf(ctx).markersSeen.get(seenKey) ?? 0) >= buckets - 1 ? listMarkers() : undefined;
  // Not awaited when the bucket is not full: its failure must not go unhandled.
  early?.catch(() => undefined);
  const bucketRows = await ctx.store.listByPrefix<ResultDoc>(docIds.bucketPrefix(run.runId, stageDoc.seq, bucket), { includeDocs: true });
  if (bucketRows.length < expected) return;
  const own = storedResults(bucketRows);
  // A single bucket needs no marker at all: it is the whole stage.
  if (buckets === 1) return completeStage(ctx, run, stageDoc, own.length === stageDoc.taskCount ? own : undefined);
  const markerId = docIds.joinedBucket(run.runId, stageDoc.seq, bucket);
  let markers = await (early ?? listMarkers());
  if (markers.filter((row) => row.id !== markerId).length < buckets - 1) {
    await ctx.store.createOnly(markerId, joinedMarker(run.runId, stageDoc.seq, bucket, own.length === expected ? own : undefined));
    markers = await listMarkers();
    if (markers.length < buckets) return;
  }
  const joined = joinOfMarkers(markers, bucket, own, stageDoc);
  // A marker without its results (a big bucket): the join reads the results themselves.
  if (!joined) return completeStage(ctx, run, stageDoc);
  await completeJoined(ctx, run, stageDoc, joined);
}

/** Result documents of a listing, without `_id`/`_rev`. */
function storedResults(rows: readonly ListedDoc<ResultDoc>[]): ResultDoc[] {
  return rows.flatMap((row) => (row.doc ? [withoutMeta(row.doc) as ResultDoc] : []));
}

/**
 * Bigger buckets' markers carry no results: a document must stay well below CouchDB's and
 * Cloudant's size limits (8 MB and 1 MB), and the join then reads the results themselves.
 */
const MARKER_RESULTS_MAX_CHARS = 256 * 1024;

/** The marker of a full bucket: the values when all succeeded, else the result documents, if small enough. */
export function joinedMarker(runId: string, seq: number, bucket: number, results: readonly ResultDoc[] | undefined): JoinedDoc {
  const marker: JoinedDoc = { type: 'joined', runId, seq, bucket };
  if (!results) return marker;
  const carried: Pick<JoinedDoc, 'values' | 'results'> = results.every((result) => result.ok)
    ? { values: results.map((result) => result.result ?? null) }
    : { results: [...results] };
  return JSON.stringify(carried).length <= MARKER_RESULTS_MAX_CHARS ? { ...marker, ...carried } : marker;
}

/** A complete stage as the join read it: every result's value in index order, or the failure that decides it. */
export type JoinedStage = { ok: true; values: Json[] } | { ok: false; failure: RunFailure };

/** The outcome of complete results (index order): the lowest index's failure decides, if any. */
function joinOf(results: readonly ResultDoc[], stageId: string): JoinedStage {
  const failed = results.find((result) => !result.ok);
  if (failed) return { ok: false, failure: failed.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown', stageId } };
  return { ok: true, values: results.map((result) => result.result ?? null) };
}

/**
 * The stage's outcome from the buckets' markers (results are create-only, and a marker is only
 * created after its bucket was seen full, so a marker's copy is the stored one for good) plus the
 * bucket `own` (full, just listed), in index order; undefined when a marker carries nothing (a big
 * bucket) or the copies do not add up, so that the join reads the results themselves.
 */
export function joinOfMarkers(markers: readonly ListedDoc<JoinedDoc>[], ownBucket: number, own: readonly ResultDoc[], stageDoc: Pick<StageDoc, 'taskCount' | 'stageId'>): JoinedStage | undefined {
  const byBucket = new Map<number, JoinedStage>([[ownBucket, joinOf(own, stageDoc.stageId)]]);
  let count = own.length;
  for (const row of markers) {
    const marker = row.doc;
    if (!marker || marker.bucket === ownBucket || byBucket.has(marker.bucket)) continue;
    const carried = marker.values ?? marker.results;
    if (!carried) return undefined;
    count += carried.length;
    byBucket.set(marker.bucket, marker.values ? { ok: true, values: marker.values } : joinOf(marker.results!, stageDoc.stageId));
  }
  if (count !== stageDoc.taskCount) return undefined;
  const values: Json[] = [];
  for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
    const part = byBucket.get(bucket)!;
    // Buckets in index order: the first failed one holds the stage's lowest failed index.
    if (!part.ok) return part;
    values.push(...part.values);
  }
  return { ok: true, values };
}

/**
 * Joins the stage's results in index order and enters what comes next (or fails the stage).
 * `known`: the stage's complete, stored results when the caller has them (a single-task stage).
 */
async function completeStage(ctx: Handling, run: RunHead, stageDoc: StageDoc, known?: readonly ResultDoc[]): Promise<void> {
  const results = known ?? storedResults(await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, stageDoc.seq), { includeDocs: true }));
  await completeJoined(ctx, run, stageDoc, joinOf(results, stageDoc.stageId));
}

async function completeJoined(ctx: Handling, run: RunHead, stageDoc: StageDoc, joined: JoinedStage): Promise<void> {
  if (!joined.ok) return failStage(ctx, run, stageDoc, joined.failure);
  await enter(ctx, run, proposeAfter(ctx, run, stageDoc, joined.values), true);
}

async function failStage(ctx: Handling, run: RunHead, stageDoc: StageDoc, failure: RunFailure): Promise<void> {
  const stage = stageOf(run.definition, stageDoc.stageId);
  const rule: CatchRule | undefined = 'catch' in stage ? matchCatch(stage.catch, failure.error) : undefined;
  if (!rule) {
    return enter(ctx, run, endProposal({ ...stageDoc, seq: stageDoc.seq + 1, startedAt: now(ctx), claimedBy: ctx.activationId }, failure), false);
  }
  const data = rule.resultPath === null ? stageDoc.data : assignPath(stageDoc.data, rule.resultPath, failure as unknown as JsonObject);
  return enter(ctx, run, propose(ctx, run, stageDoc.seq + 1, rule.next, data), false);
}

// ---------------------------------------------------------------------------------------------
// Tasks

function invokeClaim(ctx: Handling, run: RunHead, seq: number, index: number, attempt: number): InvokeDoc {
  return { type: 'invoke', runId: run.runId, seq, index, attempt, claimedAt: now(ctx), claimedBy: ctx.activationId, claimToken: ctx.token };
}

/** Claims of the first attempts of a proposed stage's first tasks (at most one request's worth). */
function invokeClaimsFor(ctx: Handling, run: RunHead, proposal: StageDoc): { id: string; index: number; body: InvokeDoc }[] {
  if (proposal.end || proposal.taskCount === 0) return [];
  return Array.from({ length: Math.min(proposal.window, BULK_CHUNK - 1) }, (_, index) => ({
    id: docIds.invoke(run.runId, proposal.seq, index, 1), index, body: invokeClaim(ctx, run, proposal.seq, index, 1),
  }));
}

function ownedClaims(claims: readonly { id: string; index: number; body: InvokeDoc }[], outcomes: readonly CreateResult[]): Map<number, OwnedClaim> {
  const owned = new Map<number, OwnedClaim>();
  claims.forEach((claimDoc, position) => {
    const outcome = outcomes[position];
    if (outcome?.outcome === 'created') owned.set(claimDoc.index, { ...claimDoc.body, _id: claimDoc.id, _rev: outcome.rev });
  });
  return owned;
}

/**
 * Claims attempt `attempt` of the tasks `indexes` (in bulk) and invokes those this activation owns;
 * returns how many it started. `owned`: claims this activation made earlier (with the transition).
 * Then the activation ids are recorded on the claims (bulk, with the revisions the creates returned).
 */
async function startTasks(ctx: Handling, run: RunHead, stageDoc: StageDoc, indexes: readonly number[], attempt: number, delayMs: number, owned: Map<number, OwnedClaim> = new Map()): Promise<number> {
  let started = 0;
  for (let from = 0; from < indexes.length; from += BULK_CHUNK) {
    const mine = await claimTasks(ctx, run, stageDoc, indexes.slice(from, from + BULK_CHUNK), attempt, owned);
    await invokeClaimed(ctx, run, stageDoc, mine, delayMs);
    started += mine.length;
  }
  return started;
}

async function claimTasks(ctx: Handling, run: RunHead, stageDoc: StageDoc, indexes: readonly number[], attempt: number, owned: Map<number, OwnedClaim>): Promise<OwnedClaim[]> {
  const mine: OwnedClaim[] = [];
  const toClaim: { id: string; index: number; body: InvokeDoc }[] = [];
  for (const index of indexes) {
    const earlier = attempt === 1 ? owned.get(index) : undefined;
    if (earlier) mine.push(earlier);
    else toClaim.push({ id: docIds.invoke(run.runId, stageDoc.seq, index, attempt), index, body: invokeClaim(ctx, run, stageDoc.seq, index, attempt) });
  }
  const outcomes = await createAll(ctx.store, toClaim);
  // Claimed, then checked: once the stage was left (a catch route, a cancel: cancel.ts), nothing claimed after that starts.
  if (toClaim.length > 0 && await readStage(ctx, run.runId, stageDoc.seq + 1)) return mine;
  const won = ownedClaims(toClaim, outcomes);
  mine.push(...won.values());
  const lost = toClaim.filter((claimDoc) => !won.has(claimDoc.index));
  // A lost claim is someone else's, unless its claimer died between claim and invoke.
  await forEachLimited(lost, INVOKE_PARALLELISM, async (claimDoc) => {
    const taken = await takeOverIfAbandoned(ctx, claimDoc.id);
    if (taken) mine.push(taken);
  });
  return mine;
}

/**
 * A claim that lost is still this handling's if it carries its token (the create landed, its answer
 * did not). A claim without an activation id after the lease is taken over by compare-and-swap, so
 * that only one taker starts the task.
 */
async function takeOverIfAbandoned(ctx: Handling, id: string): Promise<OwnedClaim | undefined> {
  const current = await ctx.store.get<InvokeDoc>(id);
  if (!current || current.activationId) return undefined;
  if (current.claimToken === ctx.token) return current;
  if (now(ctx) - current.claimedAt <= (ctx.claimLeaseMs ?? DEFAULT_LEASE_MS)) return undefined;
  const taken = { ...current, claimedAt: now(ctx), claimedBy: ctx.activationId, claimToken: ctx.token };
  try {
    return { ...taken, _rev: await ctx.store.replace(taken) };
  } catch (error) {
    if (hasErrorCode(error, 'STORE_CONFLICT')) return undefined;
    throw error;
  }
}

/**
 * Invokes the claimed tasks (a few at once), records their activation ids, then arms their timeouts.
 * The ids are recorded while the invokes go on, a batch at a time: an activation that dies while
 * starting a wide map (thousands of invokes, many seconds) then leaves only the batches not yet
 * written without their ids, and only those tasks are started again once their claims' lease has
 * passed (before, every task it had started).
 */
async function invokeClaimed(ctx: Handling, run: RunHead, stageDoc: StageDoc, claims: readonly OwnedClaim[], delayMs: number): Promise<void> {
  const stage = stageOf(run.definition, stageDoc.stageId);
  const invoked: StartedAttempt[] = [];
  const recorder = new ActivationRecorder(ctx.store);
  try {
    await forEachLimited(claims, INVOKE_PARALLELISM, async (owned) => {
      const started = await startAttempt(ctx, run, stageDoc, stage, owned, delayMs);
      invoked.push(started);
      recorder.add(started.claim);
    });
  } finally {
    // Also after a failed invoke: what was started must not look abandoned.
    await recorder.finish();
  }
  for (const entry of invoked) {
    // A refused invoke is the attempt's failure, handled here as its conductor would report it.
    if (entry.refused) await handleEvent(ctx, { type: 'task.failed', eventId: attemptEventId(entry.context), task: entry.context, error: entry.refused, activationId: ctx.activationId });
    else if (entry.timeoutMs !== undefined) await ctx.invoker.scheduleTimeout(entry.context, entry.timeoutMs + delayMs);
  }
}

interface StartedAttempt { claim: OwnedClaim; context: TaskContext; timeoutMs?: number; refused?: JsonObject }

const attemptEventId = (task: TaskContext) => `${task.runId}/${task.seq}/${task.index}/${task.attempt}`;

/** Starts one claimed attempt: invokes its action, or starts its child run (a branch of several stages). */
async function startAttempt(ctx: Handling, run: RunHead, stageDoc: StageDoc, stage: Stage, owned: OwnedClaim, delayMs: number): Promise<StartedAttempt> {
  const context: TaskContext = { runId: run.runId, workflow: run.workflow, seq: stageDoc.seq, index: owned.index, attempt: owned.attempt, trigger: run.trigger, stageId: stage.id };
  const runner = runnerOf(stage, owned.index);
  if (runner.kind === 'child') {
    const childRunId = await startChildRun(ctx, run, stageDoc, stage, runner.branch, context);
    // The activation id is this orchestrator activation's: it started the child run, whose own
    // tasks carry their activations (the sweep skips claims with `childRunId`).
    return { claim: { ...owned, activationId: ctx.activationId, invokedAt: now(ctx), childRunId }, context };
  }
  const { invocation } = runner;
  const params = await taskParamsFor(ctx, run, stageDoc, stage, owned.index);
  let activationId: string;
  try {
    activationId = await ctx.invoker.start({ context, action: qualify(invocation.action, ctx.namespace), params, delayMs, selfReporting: isSelfReporting(ctx, run, invocation.action) });
  } catch (error) {
    // A self-reporting action the platform refuses (action-check.ts): no activation will ever report.
    if (!(error instanceof ActionUnavailableError)) throw error;
    return { claim: { ...owned, activationId: ctx.activationId, invokedAt: now(ctx) }, context, refused: error.taskError };
  }
  return { claim: { ...owned, activationId, invokedAt: now(ctx) }, context, ...(invocation.timeoutMs !== undefined ? { timeoutMs: invocation.timeoutMs } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Child runs: parallel branches of several stages

/**
 * "Invokes" a branch of several stages: starts a child run whose definition is the branch's stage
 * list and whose input is the parallel stage's selected input (what every branch starts from). It
 * starts inline, in this activation: no platform hop, and the head's create-only write makes a
 * repeated start (a duplicated event, a taken-over claim) a harmless duplicate. The child id is
 * derived from the attempt, so every starter names the same run. Returns the child run id.
 */
async function startChildRun(ctx: Handling, run: RunHead, stageDoc: StageDoc, stage: Stage, branch: Branch, parent: TaskContext): Promise<string> {
  const childRunId = docIds.childRun(run.runId, parent.seq, parent.index, parent.attempt);
  const input = stage.kind === 'parallel' ? selectInput(stage, stageDoc.data) ?? null : stageDoc.data;
  const head: RunHead = {
    type: 'run', runId: childRunId, workflow: run.workflow, input, status: 'running', startedAt: now(ctx), startedBy: ctx.activationId,
    definition: { name: run.definition.name, stages: branch.stages }, trigger: run.trigger, selfReporting: run.selfReporting, parent,
  };
  await beginRun(ctx, head);
  return childRunId;
}

/**
 * A child run ended: its end becomes the outcome of the parent's task, delivered by handling the
 * parent's `task.completed`/`task.failed` inline, in this activation, rather than by firing the
 * workflow trigger (as the task conductor does). Inline costs no platform hop and no rule
 * invocation, needs nothing beyond the `TaskInvoker` (unit tests keep their in-memory fakes), and
 * cannot be lost between two activations: if this activation dies before the report lands, the
 * child's head is still running (see finishRun) and the redelivered event reports again. It keeps
 * exactly-once because the parent handles it like any other completion of that task: the result's
 * create-only write decides a duplicate, and concurrent last branches (children ending in
 * different activations at once) meet in the same bucket join as concurrent task completions.
 * Recursion is bounded by the nesting depth of the definition.
 */
async function reportToParent(ctx: Handling, parent: TaskContext, end: NonNullable<StageDoc['end']>): Promise<void> {
  const eventId = attemptEventId(parent);
  if (end.status === 'succeeded') {
    await handleEvent(ctx, { type: 'task.completed', eventId, task: parent, result: end.output ?? null, activationId: ctx.activationId });
    return;
  }
  const failure: RunFailure = end.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown', activationId: ctx.activationId };
  await handleEvent(ctx, { type: 'task.failed', eventId, task: parent, error: failure as unknown as JsonObject, activationId: failure.activationId ?? ctx.activationId });
}

function isSelfReporting(ctx: Handling, run: RunHead, action: string): boolean {
  return run.selfReporting.includes(action) || run.selfReporting.includes(qualify(action, ctx.namespace));
}

async function taskParamsFor(ctx: Handling, run: RunHead, stageDoc: StageDoc, stage: Stage, index: number): Promise<JsonObject> {
  switch (stage.kind) {
    case 'task':
      return taskParams(stage, selectInput(stage, stageDoc.data));
    case 'map':
      return taskParams(stage, mapItems(stage, stageDoc.data)[index]);
    case 'parallel': {
      const branchTask = singleTaskOf(stage, index);
      if (!branchTask) throw new InvalidInputError(`parallel stage '${stage.id}' branch ${index} runs as a child run, not as a task`, { stageId: stage.id, index });
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
async function resultsOfStage(ctx: Handling, run: RunHead, stageId: string, beforeSeq: number): Promise<Json[]> {
  // Usually the stage right before, joined moments ago by this very activation (or container).
  const joined = cacheOf(ctx).results.get(`${run.runId}/${beforeSeq - 1}`);
  if (joined && joined.stageId === stageId) return joined.values;
  const stages = await ctx.store.listByPrefix<StageDoc>(docIds.stagesPrefix(run.runId), { includeDocs: true });
  const source = stages.map((row) => row.doc).filter((doc) => doc && doc.stageId === stageId && doc.seq < beforeSeq).pop();
  if (!source) throw new InvalidInputError(`reduce found no results of stage '${stageId}'`, { stageId });
  const rows = await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, source.seq), { includeDocs: true });
  return rows.map((row) => row.doc?.result ?? null);
}

/** What task `index` of a stage runs: an action, or (a parallel branch of several stages) a child run. */
type TaskRunner =
  /** `stageId`: the stage a failure names, the branch's own task for a single-task branch (as the pure core records it). */
  | { kind: 'action'; invocation: InvocationOptions; stageId: string }
  | { kind: 'child'; branch: Branch };

function runnerOf(stage: Stage, index: number): TaskRunner {
  switch (stage.kind) {
    case 'task':
    case 'map':
    case 'reduce':
      return { kind: 'action', invocation: stage, stageId: stage.id };
    case 'parallel': {
      const branch = stage.branches[index];
      if (!branch) throw new InvalidInputError(`parallel stage '${stage.id}' has no branch ${index}`, { stageId: stage.id, index });
      const only = singleTaskOf(stage, index);
      return only ? { kind: 'action', invocation: only, stageId: only.id } : { kind: 'child', branch };
    }
    default:
      throw new InvalidInputError(`stage '${stage.id}' (${stage.kind}) runs no tasks`, { stageId: stage.id });
  }
}

/** A branch that is one task runs as a task of the parallel stage (no child run: fewer documents and hops). */
function singleTaskOf(stage: ParallelStage, index: number): TaskStage | undefined {
  const stages = stage.branches[index]?.stages ?? [];
  const only = stages[0];
  return stages.length === 1 && only?.kind === 'task' ? only : undefined;
}

/**
 * A branch's final data: a child run's output is that already; a single task's result still goes
 * through the task's own `resultPath`/`output`, over the branch's input (as in the pure core).
 */
function branchOutput(stage: ParallelStage, index: number, data: Json, result: Json): Json {
  const task = singleTaskOf(stage, index);
  return task ? applyResult(task, selectInput(stage, data) ?? null, result) : result;
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

function now(ctx: Handling): number {
  return ctx.now ? ctx.now() : Date.now();
}

function assertNever(value: never): never {
  throw new InvalidInputError('unexpected stage kind', { value });
}
