/**
 * Starting task attempts exactly once: each attempt runs only after its `invoke/<run>/<position>/<index>/
 * <attempt>` claim was created (in bulk), a claim whose claimer died before invoking is taken over
 * after its lease (compare-and-swap), and the activation ids go onto the claims in batches while the
 * invokes go on. What each task runs and with which parameters is the core's
 * (lib/core/park-tasks.ts, read through parks.ts).
 */
import { hasErrorCode, InvalidInputError } from '../../errors';
import type { JsonObject } from '../../model/json';
import { BULK_CHUNK, createAll } from '../../store/bulk';
import { docIds, type InvokeDoc, type StageDoc } from '../../store/run-documents';
import { invokeRecord } from '../../store/run-records';
import type { CreateResult } from '../../store/run-store';
import { forEachLimited } from '../../limited';
import type { Park } from '../../core/scope';
import { ActionUnavailableError } from './action-check';
import { ActivationRecorder } from './activation-recorder';
import { startChildRun } from './child-runs';
import type { TaskContext } from './events';
import {
  DEFAULT_LEASE_MS, INVOKE_PARALLELISM, attemptEventId, cacheOf, isSelfReporting, now, qualify, readStage,
  type Handling, type OwnedClaim,
} from './handling';
import { attemptContext, paramsOf, parkOf, runnerOf, type TaskRunner } from './parks';
import { awaitEvent } from './event-waits';
import { durableLimits, PROMPT_TIMER_MAX_MS } from './due-attempts';
import type { RunHead } from './run-head';

export interface ClaimDraft { id: string; index: number; body: InvokeDoc }

export function invokeClaim(ctx: Handling, run: RunHead, position: number, index: number, attempt: number): InvokeDoc {
  return invokeRecord({ runId: run.runId, position, index, attempt }, now(ctx), { claimedBy: ctx.activationId, claimToken: ctx.token });
}

/**
 * The claim of attempt `attempt` of task `index`. When this handling's invoker runs the attempt
 * itself (a task conductor continuing its composition: composition.ts), the claim is created with
 * the activation id that runs it, so no write of the id follows. Only for an attempt whose start
 * does no I/O after the claim's create (an action's plain start: no timer to arm, no reduce
 * results to read, no backoff, not self-reporting, no callback): nothing can then fail between the
 * create and the composition going on, which is the moment the id was written before.
 */
export function claimDraft(ctx: Handling, run: RunHead, stageDoc: StageDoc, park: Park, index: number, attempt: number, delayMs: number): ClaimDraft {
  const id = docIds.invoke(run.runId, stageDoc.position, index, attempt);
  const body = invokeClaim(ctx, run, stageDoc.position, index, attempt);
  const reserved = ctx.invoker.reserve && delayMs <= 0 && startsWithoutIo(ctx, run, stageDoc, park, index)
    ? ctx.invoker.reserve({ runId: run.runId, position: stageDoc.position, index, attempt })
    : undefined;
  return { id, index, body: reserved ? { ...body, activationId: reserved, invokedAt: body.claimedAt } : body };
}

function startsWithoutIo(ctx: Handling, run: RunHead, stageDoc: StageDoc, park: Park, index: number): boolean {
  const runner = runnerOf(run, park, index);
  if (runner.runsAs !== 'action' || runner.step.timeoutMs !== undefined || isSelfReporting(ctx, run, runner.step.action)) return false;
  if (runner.step.kind === 'invoke' && runner.step.callback) return false;
  if (runner.params !== 'reduce' || park.kind !== 'reduce') return runner.params !== 'reduce';
  // A reduce's parameters are its source's joined results: inline, or in the warm cache right after the join.
  const source = stageDoc.joins?.[park.step.input.fromStepId];
  return Array.isArray(source) || (source !== undefined && cacheOf(ctx).results.get(`${run.runId}/${source}`) !== undefined);
}

/** Claims of the first attempts of a proposed stage's first tasks (at most one request's worth). */
export function invokeClaimsFor(ctx: Handling, run: RunHead, proposal: StageDoc): ClaimDraft[] {
  if (proposal.end || proposal.taskCount === 0) return [];
  const park = parkOf(run, proposal);
  return Array.from({ length: Math.min(proposal.window, BULK_CHUNK - 1) }, (_, index) => claimDraft(ctx, run, proposal, park, index, 1, 0));
}

export function ownedClaims(claims: readonly ClaimDraft[], outcomes: readonly CreateResult[]): Map<number, OwnedClaim> {
  const owned = new Map<number, OwnedClaim>();
  claims.forEach((claimDoc, position) => {
    const outcome = outcomes[position];
    if (outcome?.outcome === 'created') owned.set(claimDoc.index, { ...claimDoc.body, _id: claimDoc.id, _rev: outcome.rev });
  });
  return owned;
}

/**
 * Claims attempt `attempt` of the tasks `indexes` (in bulk) and invokes those this activation owns;
 * returns how many it started. `owned`: claims this activation made earlier, with the transition
 * (which the stage's leaving cannot precede) or with the result of the completion that starts them
 * (a map's next element, checked against the next transition by the caller: recordAndStartNext).
 * Then the activation ids are recorded on the claims (bulk, with the revisions the creates returned).
 */
export async function startTasks(ctx: Handling, run: RunHead, stageDoc: StageDoc, indexes: readonly number[], attempt: number, delayMs: number, owned: Map<number, OwnedClaim> = new Map()): Promise<number> {
  let started = 0;
  const park = parkOf(run, stageDoc);
  for (let from = 0; from < indexes.length; from += BULK_CHUNK) {
    const mine = await claimTasks(ctx, run, stageDoc, park, indexes.slice(from, from + BULK_CHUNK), attempt, delayMs, owned);
    await invokeClaimed(ctx, run, stageDoc, park, mine, delayMs);
    started += mine.length;
  }
  return started;
}

async function claimTasks(ctx: Handling, run: RunHead, stageDoc: StageDoc, park: Park, indexes: readonly number[], attempt: number, delayMs: number, owned: Map<number, OwnedClaim>): Promise<OwnedClaim[]> {
  const mine: OwnedClaim[] = [];
  const toClaim: ClaimDraft[] = [];
  for (const index of indexes) {
    const earlier = attempt === 1 ? owned.get(index) : undefined;
    if (earlier) mine.push(earlier);
    else toClaim.push(claimDraft(ctx, run, stageDoc, park, index, attempt, delayMs));
  }
  const outcomes = await createAll(ctx.store, toClaim);
  // Claimed, then checked: once the stage was left (a catch route, a cancel: cancel.ts), nothing claimed after that starts.
  if (toClaim.length > 0 && await readStage(ctx, run.runId, stageDoc.position + 1)) return mine;
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
 * did not). A claim without an activation id after the lease (at once when its claimer is known to
 * have ended) is taken over by compare-and-swap, so that only one taker starts the task.
 */
async function takeOverIfAbandoned(ctx: Handling, id: string): Promise<OwnedClaim | undefined> {
  const current = await ctx.store.get<InvokeDoc>(id);
  if (!current) return undefined;
  // This handling's own claim (its create's answer was lost): not yet invoked, or created naming
  // this very activation, which runs the attempt itself (claimDraft).
  if (current.claimToken === ctx.token) return !current.activationId || current.activationId === ctx.activationId ? current : undefined;
  if (current.activationId) return undefined;
  // A claimer known to have ended invokes nothing more; a later taker (alive) is not in the set.
  const claimerEnded = current.claimedBy !== undefined && ctx.endedClaimers?.has(current.claimedBy) === true;
  if (!claimerEnded && now(ctx) - current.claimedAt <= (ctx.claimLeaseMs ?? DEFAULT_LEASE_MS)) return undefined;
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
async function invokeClaimed(ctx: Handling, run: RunHead, stageDoc: StageDoc, park: Park, claims: readonly OwnedClaim[], delayMs: number): Promise<void> {
  const invoked: StartedAttempt[] = [];
  const recorder = new ActivationRecorder(ctx.store);
  try {
    await forEachLimited(claims, INVOKE_PARALLELISM, async (owned) => {
      const started = await startAttempt(ctx, run, stageDoc, park, owned, delayMs);
      invoked.push(started);
      // A claim created with the activation that runs it (claimDraft) has nothing left to record.
      if (!owned.activationId || started.claim.activationId !== owned.activationId) recorder.add(started.claim);
    });
  } finally {
    // Also after a failed invoke: what was started must not look abandoned.
    await recorder.finish();
  }
  for (const entry of invoked) {
    // A refused invoke is the attempt's failure, handled here as its conductor would report it.
    if (entry.refused) await ctx.react({ type: 'task.failed', eventId: attemptEventId(entry.context), task: entry.context, error: entry.refused, activationId: ctx.activationId });
    // A durable limit (due-attempts.ts) is on the claim; the timer action only fires it on time when it can.
    else if (entry.timeoutMs !== undefined && (!entry.durable || entry.timeoutMs <= PROMPT_TIMER_MAX_MS)) await ctx.invoker.scheduleTimeout(entry.context, entry.timeoutMs + delayMs);
    // Registered once its claim carries an activation id: the sweep then leaves the wait alone.
    if (entry.awaits) await awaitEvent(ctx, run, entry.context, entry.awaits);
  }
}

interface StartedAttempt {
  claim: OwnedClaim;
  context: TaskContext;
  timeoutMs?: number;
  /** An event wait or a callback: its limits are on its claim, for the sweep. */
  durable?: true;
  refused?: JsonObject;
  awaits?: Extract<TaskRunner, { runsAs: 'event' }>;
}

/** Starts one claimed attempt: invokes its action, or starts its child run (a branch of several stages). */
async function startAttempt(ctx: Handling, run: RunHead, stageDoc: StageDoc, park: Park, owned: OwnedClaim, delayMs: number): Promise<StartedAttempt> {
  const runner = runnerOf(run, park, owned.index);
  const context = attemptContext(run, stageDoc, owned.index, owned.attempt, park);
  if (runner.runsAs === 'child-run') {
    const childRunId = await startChildRun(ctx, run, runner.startStep, runner.input, context);
    // The activation id is this orchestrator activation's: it started the child run, whose own
    // tasks carry their activations (the sweep skips claims with `childRunId`).
    return { claim: { ...owned, activationId: ctx.activationId, invokedAt: now(ctx), childRunId }, context };
  }
  if (runner.runsAs === 'timer') throw new InvalidInputError(`stage '${stageDoc.stageId}' is a wait: it starts no task`, { stageId: stageDoc.stageId });
  if (runner.runsAs === 'event') {
    // Nothing to invoke: the wait is registered once the claim is recorded (invokeClaimed).
    const timeout = runner.step.timeoutMs !== undefined ? { timeoutMs: runner.step.timeoutMs } : {};
    const claim: OwnedClaim = { ...owned, activationId: ctx.activationId, invokedAt: now(ctx), eventWait: true, ...durableLimits(now(ctx), runner.step.timeoutMs, undefined) };
    return { claim, context, awaits: runner, durable: true, ...timeout };
  }
  const { step } = runner;
  const params = await paramsOf(ctx, run, stageDoc, park, runner);
  let activationId: string;
  try {
    activationId = await ctx.invoker.start({ context, action: qualify(step.action, ctx.namespace), params, delayMs, selfReporting: isSelfReporting(ctx, run, step.action), ...(runner.callback ? { callback: true } : {}) });
  } catch (error) {
    // A self-reporting action the platform refuses (action-check.ts): no activation will ever report.
    if (!(error instanceof ActionUnavailableError)) throw error;
    return { claim: { ...owned, activationId: ctx.activationId, invokedAt: now(ctx) }, context, refused: error.taskError };
  }
  const timeout = step.timeoutMs !== undefined ? { timeoutMs: step.timeoutMs } : {};
  if (!runner.callback) return { claim: { ...owned, activationId, invokedAt: now(ctx) }, context, ...timeout };
  const callbackToken = ctx.invoker.callbackTokenOf?.(context);
  const limits = durableLimits(now(ctx), step.timeoutMs, runner.heartbeatMs);
  return { claim: { ...owned, activationId, invokedAt: now(ctx), ...(callbackToken ? { callbackToken } : {}), ...limits }, context, durable: true, ...timeout };
}
