/**
 * The native reactive orchestrator: one call per event, no process that waits for a run.
 *
 * Each event is recorded and the run's next step is decided by the pure core (lib/core/scope.ts)
 * over the run state in the store; whatever comes next is started with non-blocking invocations.
 * Every side effect hangs off a create-only document (see lib/store/run-documents.ts), so any number
 * of concurrent, duplicated or retried events produce each transition, each task start and each
 * join exactly once:
 * - a completion writes `result/<run>/<position>/<index>`; a duplicate finds it there and changes nothing;
 * - a stage of one task is complete when its result is written; a wider join is complete when every
 *   bucket of results is full (join.ts);
 * - the next transition is claimed by whoever creates `stage/<run>/<position+1>` first (transitions.ts);
 * - a task attempt runs only after its `invoke/...` claim was created (task-starts.ts).
 * Round trips are what a transition costs, so independent create-only writes travel together in one
 * `_bulk_docs`, a winner never re-reads what it created, and documents that never change are kept
 * in the warm container (warm-cache.ts). docs/exactly-once.md has the argument.
 */
import { randomUUID } from 'node:crypto';
import { EntityNotFoundError, InvalidInputError, StoreConflictError } from '../../errors';
import { claim } from '../../store/claims';
import { createAll, createOne } from '../../store/bulk';
import { docIds, type InvokeDoc, type ResultDoc, type StageDoc, type StartDoc, type WorkflowDoc } from '../../store/run-documents';
import { resultRecord, runningHead } from '../../store/run-records';
import type { CreateResult, StoredDoc } from '../../store/run-store';
import { workflowTrigger } from '../../openwhisk/names';
import { reportedError, scopeFailure } from '../../core/reported-error';
import { retryDelayMs, shouldRetry } from '../../core/retry';
import { taskFailure } from '../../core/scope';
import { timeoutError, type RunError } from '../../events/types';
import { isJsonObject } from '../../model/json';
import type { OrchestratorEvent, TaskContext } from './events';
import {
  cacheOf, isSelfReporting, now, readStage, storedFailure,
  type EventOutcome, type Handling, type OrchestratorContext,
} from './handling';
import { completeStage, joinIfComplete, recordAndStartNext } from './join';
import { completionPolicyOf, joinUnderPolicy } from './policy-join';
import { parkOf, runnerOf } from './parks';
import type { RunHead } from './run-head';
import { invokeClaimsFor, ownedClaims, startTasks } from './task-starts';
import { beginRun, carryOut, failStage, proposeAfter } from './transitions';
import { readShared } from './warm-cache';
import { receiveExternal } from './event-waits';
import { parkOutcome } from './parks';
import { recordHeartbeat } from './due-attempts';

export async function handleEvent(context: OrchestratorContext, event: OrchestratorEvent): Promise<EventOutcome> {
  const ctx = handling(context);
  switch (event.type) {
    case 'run.started':
      return startRun(ctx, event);
    case 'task.completed':
      return onTaskCompleted(ctx, event);
    case 'task.failed':
    case 'task.timed-out':
      return onTaskFailed(ctx, event);
    case 'task.heartbeat':
      await recordHeartbeat(ctx.store, event.task, now(ctx));
      return { outcome: 'recorded', runId: event.task.runId };
    case 'external': {
      const received = await receiveExternal(ctx, event.workflow, event.event, 'trigger');
      const outcome = received.outcome === 'duplicate' ? 'duplicate-event' : received.outcome;
      return { outcome, eventId: event.eventId, ...('runId' in received && received.runId !== undefined ? { runId: received.runId } : {}) };
    }
    default: {
      const unknownEvent: never = event;
      throw new InvalidInputError('unknown event', { event: unknownEvent });
    }
  }
}

function handling(context: OrchestratorContext): Handling {
  const { store, invoker, namespace, activationId, claimLeaseMs, endedClaimers, now: clock } = context;
  const ctx: Handling = {
    store, invoker, namespace, activationId,
    ...(claimLeaseMs !== undefined ? { claimLeaseMs } : {}), ...(endedClaimers ? { endedClaimers } : {}), ...(clock ? { now: clock } : {}),
    token: `${activationId}/${randomUUID()}`,
    react: (event) => handleEvent(context, event),
    beginRun: (head) => beginRun(ctx, head),
  };
  return ctx;
}

/** An attempt whose invoke claim exists without an activation id. */
export interface ClaimedAttempt { index: number; attempt: number }

/**
 * Starts the attempts of stage `position` whose claimer died between claim and invoke, as a retried
 * event would: through `startTasks`, whose claim take-over (compare-and-swap, only after the claim
 * lease) lets one caller start each of them. For the sweep, which is the only one left to notice:
 * the event that made the claim was already handled. Returns how many it started; a claim still
 * within its lease, or a stage the run already left, starts nothing.
 */
export async function resumeClaimedAttempts(context: OrchestratorContext, runId: string, position: number, attempts: readonly ClaimedAttempt[]): Promise<number> {
  const ctx = handling(context);
  const run = await ctx.store.get<RunHead>(docIds.run(runId));
  if (!run || run.status !== 'running') return 0;
  const stage = await readStage(ctx, runId, position);
  if (!stage || stage.end || await readStage(ctx, runId, position + 1)) return 0;
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
  const head: RunHead = runningHead(
    { runId, workflow: event.workflow, input: event.input, startedAt: now(ctx), startedBy: ctx.activationId },
    { definition: deployed.definition, trigger: deployed.trigger, selfReporting: deployed.selfReporting },
  );
  const won = await ctx.beginRun(head);
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

async function onTaskCompleted(ctx: Handling, event: Extract<OrchestratorEvent, { type: 'task.completed' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const result = resultRecord({ runId: run.runId, position: stage.position, index: event.task.index, attempt: event.task.attempt }, { ok: true, result: event.result }, now(ctx), event.activationId || undefined);
  const resultId = docIds.result(run.runId, stage.position, event.task.index, stage.taskCount);
  const policy = completionPolicyOf(run, stage);
  let written: CreateResult['outcome'];
  if (policy) {
    // Even a duplicate decides again: whoever stored it may have died before deciding.
    written = (await createOne(ctx.store, resultId, result)).outcome;
    await joinUnderPolicy(ctx, run, stage, policy, event.task.index);
  } else if (stage.taskCount === 1) {
    written = onlyOutcomeOfAttempt(ctx, run, stage, event.task)
      ? await recordAndAdvance(ctx, run, stage, resultId, result)
      : await recordSingle(ctx, run, stage, resultId, result);
  } else {
    // Even a duplicate goes on: if the activation that wrote the result died before these steps, this
    // one completes them, and each of them is claimed so nothing happens twice.
    const recorded = await recordAndStartNext(ctx, run, stage, resultId, result, event.task.index);
    written = recorded.written;
    await joinIfComplete(ctx, run, stage, event.task.index, recorded);
  }
  return { outcome: written === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

async function onTaskFailed(ctx: Handling, event: Extract<OrchestratorEvent, { type: 'task.failed' | 'task.timed-out' }>): Promise<EventOutcome> {
  const loaded = await loadTaskStage(ctx, event.task);
  if ('ignored' in loaded) return { outcome: 'ignored', runId: event.task.runId, reason: loaded.ignored };
  const { run, stage } = loaded;
  const { task } = event;
  const resultId = docIds.result(run.runId, stage.position, task.index, stage.taskCount);
  // A late timeout or failure of an attempt whose task already has its outcome changes nothing.
  if (await ctx.store.get(resultId)) return { outcome: 'duplicate', runId: run.runId };
  const park = parkOf(run, stage);
  const runner = runnerOf(run, park, task.index);
  // A wait's timer only ever completes: a failure for it is no outcome of anything.
  if (runner.runsAs === 'timer') return { outcome: 'ignored', runId: run.runId, reason: `stage ${stage.stageId} is a wait` };
  const reported = event.type === 'task.failed' ? event.activationId : undefined;
  const activationId = reported ?? (await ctx.store.get<InvokeDoc>(docIds.invoke(run.runId, stage.position, task.index, task.attempt)))?.activationId;
  const error = failureOf(event, runner.runsAs === 'child-run' ? stage.stageId : runner.stageId, runner.runsAs === 'child-run', activationId);
  // A child run is not retried as a whole (a parallel stage has no retry policy; its tasks have theirs).
  const policy = runner.runsAs === 'action' ? runner.step.retry : undefined;
  if (policy && shouldRetry(policy, task.attempt, error.error)) {
    const started = await startTasks(ctx, run, stage, [task.index], task.attempt + 1, retryDelayMs(policy, task.attempt));
    return { outcome: started > 0 ? 'recorded' : 'duplicate', runId: run.runId };
  }
  const failure = storedFailure(taskFailure(park, task.index, error));
  const result = resultRecord({ runId: run.runId, position: stage.position, index: task.index, attempt: task.attempt }, { ok: false, failure }, now(ctx), activationId || undefined);
  const written = await createOne(ctx.store, resultId, result);
  // What happens next follows the stored outcome, which may be another attempt's success that won
  // the race (a timeout reported while the attempt itself completed): never this event's failure.
  const stored = written.outcome === 'created' ? result : await ctx.store.get<ResultDoc>(resultId);
  if (!stored) throw new StoreConflictError(resultId);
  const completion = completionPolicyOf(run, stage);
  if (completion) await joinUnderPolicy(ctx, run, stage, completion, task.index);
  else if (stage.taskCount === 1) await completeStage(ctx, run, stage, [stored]);
  else if (!stored.ok) await failStage(ctx, run, stage, stored.failure ?? failure);
  else await joinIfComplete(ctx, run, stage, task.index);
  return { outcome: written.outcome === 'created' ? 'recorded' : 'duplicate', runId: run.runId };
}

/**
 * The run error a failure event means: a timeout is `whiskflow.Timeout` of the attempt's stage (as
 * the core reads `task.timed-out`); a child run's failure is already a scope failure (its stage,
 * cause and activation), passed on as it is; a task error (`{ error, cause }`, as task events carry
 * it) is the attempt's; anything else is the action's reported error.
 */
function failureOf(event: Extract<OrchestratorEvent, { type: 'task.failed' | 'task.timed-out' }>, stageId: string, ofChildRun: boolean, activationId: string | undefined): RunError {
  const activation = activationId !== undefined ? { activationId } : {};
  if (event.type === 'task.timed-out') return { ...timeoutError(event.timeoutMs), stageId, ...activation };
  if (ofChildRun) return scopeFailure(event.error, stageId);
  const { error } = event;
  if (isJsonObject(error) && typeof error.error === 'string' && typeof error.cause === 'string') return { error: error.error, cause: error.cause, stageId, ...activation };
  return reportedError(error, stageId, activationId);
}

async function loadTaskStage(ctx: Handling, task: TaskContext): Promise<{ run: RunHead; stage: StoredDoc<StageDoc> } | { ignored: string }> {
  const cached = cacheOf(ctx).runs.get(task.runId);
  // On a cold container both documents are read at once; a warm one usually has both.
  const runId = docIds.run(task.runId);
  const [read, stage] = await Promise.all([cached ? undefined : readShared(cacheOf(ctx), runId, () => ctx.store.get<RunHead>(runId)), readStage(ctx, task.runId, task.position)]);
  const run = cached ?? read;
  if (!run) return { ignored: `run ${task.runId} not found` };
  // Only a freshly read head tells the status; a cached one may be older, which costs an ended run
  // some idempotent work (its transitions are all claimed) but never a start.
  if (!cached) {
    if (run.status !== 'running') return { ignored: `run ${task.runId} is ${run.status}` };
    cacheOf(ctx).runs.set(task.runId, run);
  }
  if (!stage || task.index < 0 || task.index >= stage.taskCount || !runsIn(run, stage, task)) {
    return { ignored: `no task ${task.position}/${task.index} in stage ${task.stageId}` };
  }
  return { run, stage };
}

/** Whether `task` names the stage its transition runs it as: the parked stage, or a single-task branch's own stage. */
function runsIn(run: RunHead, stage: StageDoc, task: TaskContext): boolean {
  if (stage.stageId === task.stageId) return true;
  const runner = runnerOf(run, parkOf(run, stage), task.index);
  return runner.runsAs === 'action' && runner.stageId === task.stageId;
}

/**
 * Whether a success of `task` can be the only outcome its slot will ever get: its first attempt,
 * without a timer that could report a timeout for it, started through the conductor (which reports
 * each attempt once) or a child run (which ends once). Then a result already stored for the slot is
 * this very outcome delivered again, and whoever decided the next transition decided it on the
 * same result.
 */
function onlyOutcomeOfAttempt(ctx: Handling, run: RunHead, stage: StageDoc, task: TaskContext): boolean {
  if (task.attempt !== 1) return false;
  const runner = runnerOf(run, parkOf(run, stage), task.index);
  // A child run ends once (its `$end` transition is claimed) and every report of it carries that end.
  if (runner.runsAs === 'child-run') return true;
  // A wait's timer may be fired by more than one sweep: the stored completion goes on.
  if (runner.runsAs === 'timer') return false;
  // An event wait's slot is raced by its timeout and by every event matched to it; a callback's by every report of its token.
  if (runner.runsAs === 'event' || runner.callback) return false;
  return runner.step.timeoutMs === undefined && !isSelfReporting(ctx, run, runner.step.action);
}

/**
 * The common transition in one request: the result, the claim of the next transition and the claims
 * of the next stage's first tasks go in one `_bulk_docs` (each document is created or refused on its
 * own; see onlyOutcomeOfAttempt for why a refused result with a created transition is consistent).
 */
async function recordAndAdvance(ctx: Handling, run: RunHead, stage: StageDoc, resultId: string, result: ResultDoc): Promise<CreateResult['outcome']> {
  const proposal = proposeAfter(ctx, run, stage, parkOutcome(ctx, run, stage, { ok: true, values: [result.result ?? null] }));
  const claims = invokeClaimsFor(ctx, run, proposal);
  const [written, claimed, ...invokes] = await createAll(ctx.store, [
    { id: resultId, body: result }, { id: docIds.stage(run.runId, proposal.position), body: proposal }, ...claims,
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
