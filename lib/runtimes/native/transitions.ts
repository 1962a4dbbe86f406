/**
 * Transitions: what the run does next is the pure core's decision (lib/core/scope.ts) over the
 * stored data; this module claims it. The `position`-th transition is the create-only document
 * `stage/<run>/<position>`: whoever creates it first decides it, everyone else reads the winner's and
 * only repeats idempotent follow-ups (start the claimed stage's tasks, finish the run). A transition
 * records where the run's scope parks (a task, reduce, map or parallel stage, with the data it
 * parked on) or its end; choices, `succeed` and `fail` are passed inside one transition.
 */
import { stepOf } from '../../model/compile';
import { claim } from '../../store/claims';
import { createAll } from '../../store/bulk';
import { END_STAGE, docIds, type RunFailure, type StageDoc } from '../../store/run-documents';
import { endRunHead, stageRecord } from '../../store/run-records';
import type { CreateResult, StoredDoc } from '../../store/run-store';
import { InstantBudget, afterStep, enterScope, type Entered, type StepOutcome, type WaitingStep } from '../../core/scope';
import { parkWakeTime } from '../../core/park-tasks';
import { StoreConflictError } from '../../errors';
import { reportToParent } from './child-runs';
import { cacheOf, now, storedFailure, type Handling, type OwnedClaim } from './handling';
import { parkOutcome, scopeHooks, tasksOf, visitBranchTasks, type Joins, type Visits } from './parks';
import type { JoinedStage } from './results';
import type { RunHead } from './run-head';
import { invokeClaimsFor, ownedClaims, startTasks } from './task-starts';
import { compiledOf } from './warm-cache';

/**
 * Creates the run head (create-only: a repeated start finds the first one's head) and enters the
 * run's scope at its start (a child run: the branch's start step). Top-level runs and child runs
 * start alike; returns whether this call created the head.
 */
export async function beginRun(ctx: Handling, head: RunHead): Promise<boolean> {
  const created = await claim(ctx.store, docIds.run(head.runId), head);
  // A start refused earlier under the same run id or start key (failed-start.ts) has no definition: it stays failed.
  if (!created.won && !created.doc.definition) return false;
  const run = created.doc;
  cacheOf(ctx).runs.set(head.runId, run);
  const start = run.startStep ?? compiledOf(run.definition).start;
  // The first transition depends only on the stored input: every proposer proposes the same tasks.
  const joins: Joins = {};
  const visited: string[] = [];
  const visits: Visits = {};
  const entered = enterScope(compiledOf(run.definition), start, run.input, scopeHooks(joins, undefined, visited, visits), new InstantBudget());
  await enter(ctx, run, toProposal(ctx, run, 0, entered, joins, visited, visits), true);
  return created.won;
}

/**
 * The transition after a complete stage, as the core decides it from the stage's stored data and
 * outcome. With stored results alone (no failure of this event), concurrent proposers propose the
 * same stage with the same tasks: that is what lets them claim those tasks along with the transition.
 */
export function proposeAfter(ctx: Handling, run: RunHead, stageDoc: StageDoc, outcome: StepOutcome): StageDoc {
  const workflow = compiledOf(run.definition);
  const joins: Joins = { ...(stageDoc.joins ?? {}) };
  const step = stepOf(workflow, stageDoc.stageId) as WaitingStep;
  const visited: string[] = [];
  const visits: Visits = { ...(stageDoc.visits ?? {}) };
  const entered = afterStep(workflow, step, stageDoc.position, stageDoc.data, outcome, scopeHooks(joins, stageDoc.position, visited, visits), new InstantBudget());
  return toProposal(ctx, run, stageDoc.position + 1, entered, joins, visited, visits);
}

/** Stages passed inside one transition that its document lists (status and logs show them). */
const PASSED_RECORDED = 100;

/**
 * What the position-th transition would be if this activation wins it. `visited`: the steps the walk
 * entered, the park last (if it parked).
 */
function toProposal(ctx: Handling, run: RunHead, position: number, entered: Entered, joins: Joins, visited: readonly string[], visits: Visits): StageDoc {
  const passed = ('park' in entered ? visited.slice(0, -1) : visited).slice(0, PASSED_RECORDED);
  if ('park' in entered) visitBranchTasks(run, entered.park, visits);
  const base = {
    runId: run.runId, position, startedAt: now(ctx), claimedBy: ctx.activationId,
    ...(Object.keys(joins).length > 0 ? { joins } : {}), ...(passed.length > 0 ? { passed } : {}), visits,
  };
  if ('end' in entered) {
    const { end } = entered;
    if (end.status === 'succeeded') return stageRecord({ ...base, stageId: END_STAGE, data: end.output, taskCount: 0, window: 0, end: { status: 'succeeded', output: end.output } });
    return stageRecord({ ...base, stageId: END_STAGE, data: null, taskCount: 0, window: 0, end: { status: 'failed', failure: storedFailure(end.error) } });
  }
  const { park } = entered;
  const wakeAt = parkWakeTime(park, new Date(base.startedAt).toISOString());
  const wake = wakeAt !== undefined ? { wakeAt: Date.parse(wakeAt) } : {};
  return stageRecord({ ...base, stageId: park.step.id, data: park.data, ...tasksOf(park), ...wake });
}

/**
 * Claims the transition and carries out whatever the stored (winning) document says. With
 * `withTasks`, the claims of the proposed stage's first tasks go in the same request; only for
 * proposals every proposer makes alike (see proposeAfter), never for failures (whose data differ).
 */
export async function enter(ctx: Handling, run: RunHead, proposal: StageDoc, withTasks: boolean): Promise<void> {
  const claims = withTasks ? invokeClaimsFor(ctx, run, proposal) : [];
  const [claimed, ...invokes] = await createAll(ctx.store, [{ id: docIds.stage(run.runId, proposal.position), body: proposal }, ...claims]);
  await carryOut(ctx, run, proposal, claimed!, ownedClaims(claims, invokes));
}

export async function carryOut(ctx: Handling, run: RunHead, proposal: StageDoc, claimed: CreateResult, owned: Map<number, OwnedClaim>): Promise<void> {
  const id = docIds.stage(run.runId, proposal.position);
  // Read afresh, not through a shared read that may have started before the winner's create.
  const stageDoc = claimed.outcome === 'created' ? { ...proposal, _id: id, _rev: claimed.rev } : cacheOf(ctx).stages.get(id) ?? await ctx.store.get<StageDoc>(id);
  // A create that lost to another create is readable afterwards.
  if (!stageDoc) throw new StoreConflictError(id);
  cacheOf(ctx).stages.set(id, stageDoc);
  // Claims made for a proposal that lost keep their meaning only if the winner runs the same stage.
  await realize(ctx, run, stageDoc, stageDoc.stageId === proposal.stageId ? owned : new Map());
}

async function realize(ctx: Handling, run: RunHead, stageDoc: StoredDoc<StageDoc>, owned: Map<number, OwnedClaim>): Promise<void> {
  if (stageDoc.end) return finishRun(ctx, run, stageDoc.end);
  // The window, plus any task this activation already claimed (a proposal that lost may have
  // claimed tasks beyond the winner's window: they are this activation's to start now).
  const indexes = new Set(Array.from({ length: stageDoc.window }, (_, index) => index));
  for (const index of owned.keys()) if (index < stageDoc.taskCount) indexes.add(index);
  await startTasks(ctx, run, stageDoc, [...indexes], 1, 0, owned);
}

async function finishRun(ctx: Handling, run: RunHead, end: NonNullable<StageDoc['end']>): Promise<void> {
  // Report first, then mark the head: a crash in between leaves the head running, so the redelivered
  // event realizes this end again and reports again (a duplicate for the parent: its result is
  // create-only). The other order would make that event find the child ended and be ignored, and the
  // parent would wait for ever.
  if (run.parent) await reportToParent(ctx, run.parent, end);
  // The head as this container holds it: its end is one compare-and-swap, no read first.
  await endRunHead(ctx.store, run.runId, end, now(ctx), run);
}

/** A complete stage (its results joined in index order): the core decides what comes next. */
export async function completeJoined(ctx: Handling, run: RunHead, stageDoc: StageDoc, joined: JoinedStage): Promise<void> {
  await enter(ctx, run, proposeAfter(ctx, run, stageDoc, parkOutcome(ctx, run, stageDoc, joined)), joined.ok);
}

/** A stage failed for good (fail fast): its `catch`, or the end of the scope, as the core decides. */
export async function failStage(ctx: Handling, run: RunHead, stageDoc: StageDoc, failure: RunFailure): Promise<void> {
  await completeJoined(ctx, run, stageDoc, { ok: false, failure });
}

