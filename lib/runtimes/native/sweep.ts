/**
 * Recovering completion events (and run starts) that were lost on their way to the orchestrator.
 *
 * OpenWhisk delivers a trigger's event to the rule's action at most once: if the orchestrator
 * activation dies (its container crashes, the invoker is lost) after the rule started it, nothing
 * fires that event again, and a run whose task did finish waits for ever. The sweep finds such
 * tasks from the store and the platform's activation records, and fires their completion again:
 *
 * - a running run's current stage is its highest `stage/<run>/<position>` document;
 * - a task of it is *overdue* when its latest attempt was invoked (the claim carries the activation
 *   id) more than `staleAfterMs` ago and no `result/…` document exists for it;
 * - the outcome is read from the activation record: for the task conductor, the user action's
 *   activation (the composition's second component, apache/openwhisk docs/conductors.md), or the
 *   composition's own error when the conductor failed before running it; for a self-reporting
 *   action, its own record. A record that does not exist yet means the task still runs: left alone.
 *
 * - a child run (a parallel branch of several stages) is swept like any running run: its own tasks
 *   are what can be lost. Its parent's claim for it (`childRunId`) names no task activation and is
 *   skipped. A child whose end was decided (`$end`) but whose head still says running died between
 *   the two (see the orchestrator's finishRun): its end is reported to the parent again, through
 *   the workflow trigger, and then its head is updated.
 *
 * Firing again is safe whatever happened: the event id names the attempt, and the orchestrator
 * records each attempt's outcome with a create-only write, so an event that was merely slow, not
 * lost, becomes a duplicate that changes nothing.
 *
 * An attempt *claimed but never invoked* (the orchestrator died between its claim and its invoke)
 * has no activation to read: given `resume` (an invoker), the sweep starts it through the
 * orchestrator's own claim take-over, which waits out the claim lease (unless the claimer's own
 * activation has ended: ended-claimers.ts) and lets one taker win.
 *
 * A *lost start* (the trigger fired a `run.started`, but the rule's invoke was refused or the
 * orchestrator died before it created the run head) leaves no run document at all: the sweep reads
 * the workflow triggers' recent activation records instead, and fires again a `run.started` older
 * than `staleAfterMs` whose run head does not exist (lost-starts.ts; bounded by `startWindow`).
 */
import type { Json } from '../../model/json';
import { deliverEvent } from '../../openwhisk/deliver';
import { docIds, type ResultDoc, type RunDoc, type StageDoc } from '../../store/run-documents';
import { endRunHead } from '../../store/run-records';
import type { RunStore } from '../../store/run-store';
import { taskOutcomeEvent, toPayload, type TaskContext } from './events';
import { LOST_WITHOUT_RECORD, lostOutcome, outcomeOf, type Outcome } from './activation-outcomes';
import { fireDueAttempts, type ExpiredAttempt } from './due-attempts';
import { withAttemptToken, type TaskInvoker } from './invoker';
import { readEventKey, type ActionReader } from '../../openwhisk/event-key';
import { restartLostStarts, type LostStartClient, type RestartedRun, type StartWindow } from './lost-starts';
import { resumeClaimedAttempts, type ClaimedAttempt, type RunHead } from './orchestrator';
import { checkDelivery, DEFAULT_CONFIRM_WITHIN_MS, type DeliveryCheck } from './redelivery-check';
import { joinRefires, stalledFollowUps } from './stalled-stages';
import { fireWait, isDueWait, type DueWait } from './waits';
import { stageAttempts, type StageAttempts } from './stage-attempts';
import { endedClaimers } from './ended-claimers';
import { attemptContext } from './parks';

/** How long an invoked attempt may go without a recorded outcome before its activation is looked at. */
export const DEFAULT_STALE_AFTER_MS = 120_000;

export interface SweepOptions {
  store: RunStore;
  /** Fires and reads activations; `activations.list` finds lost starts. */
  client: LostStartClient;
  /** Tasks invoked (and run starts fired) more recently than this are not looked at. @default 120000 */
  staleAfterMs?: number;
  /** Which workflow trigger activations are read for lost starts; `false`: none. */
  startWindow?: StartWindow | false;
  now?: () => number;
  /** Starts attempts claimed but never invoked; without it they are only reported. */
  resume?: ResumeOptions;
  /**
   * An attempt invoked before this time whose activation has no record is taken as lost (the
   * platform that ran it stopped: `whiskflow local` passes its own start) and fails with
   * `whiskflow.ActivationLost`, so retry/catch apply. Also after `lostAfterMs` without a record.
   */
  lostBefore?: number;
  /**
   * Unset by default: on a real OpenWhisk an activation may run as long as its action's limit
   * allows, and every activation that ends gets a record.
   */
  lostAfterMs?: number;
  /** How long to wait for the orchestrator activations re-deliveries start; 0: don't check. @default 20000 */
  confirmWithinMs?: number;
  /**
   * The deployment's event key (lib/events/event-seal.ts): outcomes fired again carry their attempt's
   * token, without which the orchestrator refuses them. `readEventKey` reads it from the orchestrator.
   */
  eventKey?: string;
}

export interface ResumeOptions {
  invoker: TaskInvoker;
  /** Namespace of unqualified action names (`_`: the caller's own). */
  namespace: string;
  /** Recorded on the claims this sweep takes over. */
  activationId: string;
  /** Override of the orchestrator's claim lease (tests). */
  claimLeaseMs?: number;
}

/** One task whose completion the sweep fired again. */
export interface Redelivery {
  runId: string;
  position: number;
  index: number;
  attempt: number;
  outcome: 'completed' | 'failed';
  /** The activation the outcome was read from. */
  activationId: string;
  /** Whether the orchestrator then recorded it: `failed` names the error (the run still waits). */
  handled?: DeliveryCheck['handled'];
  error?: string;
  handlerActivationId?: string;
}

export interface SweepReport {
  runsChecked: number;
  redelivered: Redelivery[];
  /** Overdue tasks whose activation has no record yet (still running, or not stored yet). */
  stillRunning: number;
  /** Attempts claimed but never invoked (the orchestrator died in between). */
  neverInvoked: { runId: string; position: number; index: number; attempt: number }[];
  /** Of those, how many this sweep started (with `resume`; a claim within its lease is left). */
  resumed: number;
  /** Child runs whose decided end never reached their parent: reported to it again. */
  childEnds: { runId: string; parentRunId: string; status: 'succeeded' | 'failed' | 'cancelled' }[];
  /** Runs whose `run.started` fire (in the start window, older than `staleAfterMs`) the sweep looked at. */
  startsChecked: number;
  /** Of those, runs that never started (no run head): their `run.started` was fired again. */
  restarted: RestartedRun[];
  /** Workflows whose trigger had more activations in the start window than the sweep reads. */
  startWindowCut: string[];
  /** Re-deliveries whose orchestrator activation failed (the store or the platform unreachable). */
  failedRedeliveries: number;
  /**
   * Stored completions fired again because what had to follow them never happened (the orchestrator
   * died between recording a result and claiming the next element, checking the join or claiming
   * the next stage's tasks; stalled-stages.ts).
   */
  followUps: { runId: string; position: number; index: number }[];
  /** Wait stages whose time had come: their timers' completions were fired (waits.ts). */
  woken: DueWait[];
  /** Event waits and callbacks whose timeout or heartbeat limit passed: their failures were fired (due-attempts.ts). */
  expired: ExpiredAttempt[];
}


/** Sweeps every run whose head says `running` (or only `runIds`). */
export async function sweepRuns(given: SweepOptions, runIds?: readonly string[]): Promise<SweepReport> {
  // Outcomes fired again need their attempts' tokens: the deployment's key, read from its orchestrator when not given.
  const eventKey = given.eventKey ?? (isActionReader(given.client) ? await readEventKey(given.client) : undefined);
  const options: SweepOptions = { ...given, ...(eventKey ? { eventKey } : {}) };
  const report: SweepReport = { runsChecked: 0, redelivered: [], stillRunning: 0, neverInvoked: [], resumed: 0, childEnds: [], startsChecked: 0, restarted: [], startWindowCut: [], failedRedeliveries: 0, followUps: [], woken: [], expired: [] };
  // One wait for the whole sweep, not one per re-delivery: a store that is down fails them all.
  const confirmUntil = Date.now() + (options.confirmWithinMs ?? DEFAULT_CONFIRM_WITHIN_MS);
  const heads = runIds
    ? (await Promise.all(runIds.map((runId) => options.store.get<RunDoc>(docIds.run(runId))))).filter((head): head is NonNullable<typeof head> => head !== undefined)
    : (await options.store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true })).flatMap((row) => (row.doc ? [row.doc] : []));
  for (const head of heads) {
    // Streaming runs are the Condition Engine's: their completions are durable in the broker.
    if (head.status !== 'running' || (head as { engine?: string }).engine === 'stream') continue;
    report.runsChecked += 1;
    await sweepRun({ ...options, confirmUntil }, head, report);
  }
  if (options.startWindow !== false) {
    const now = (options.now ?? Date.now)();
    const staleBefore = now - (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
    const starts = await restartLostStarts({
      store: options.store, client: options.client, now, staleBefore,
      ...(options.startWindow ? { window: options.startWindow } : {}), ...(runIds ? { runIds } : {}),
    });
    report.startsChecked = starts.startsChecked;
    report.restarted = starts.restarted;
    report.startWindowCut = starts.startWindowCut;
  }
  return report;
}

async function sweepRun(options: SweepOptions & { confirmUntil: number }, run: RunDoc, report: SweepReport): Promise<void> {
  const { store } = options;
  const [current] = await store.listByPrefix<StageDoc>(docIds.stagesPrefix(run.runId), { includeDocs: true, descending: true, limit: 1 });
  const stage = current?.doc;
  const staleBefore = (options.now ?? Date.now)() - (options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
  // What happened before the platform restarted is stale at once: no activation of that time is alive.
  const isStale = (time: number) => time <= staleBefore || time < (options.lostBefore ?? -Infinity);
  if (stage?.end && run.parent && isStale(stage.startedAt)) return reportChildEnd(options, run, run.parent, stage.end, report);
  const { trigger: runTrigger } = run as Partial<RunHead>;
  if (stage?.wakeAt !== undefined) {
    // A wait invokes nothing: it has no task to repair, only a timer that may be due.
    if (isDueWait(stage, (options.now ?? Date.now)()) && typeof runTrigger === 'string') {
      report.woken.push(await fireWait(options.client, options.eventKey, { runId: run.runId, workflow: run.workflow, trigger: runTrigger }, stage));
    }
    return;
  }
  // A stage of no tasks (a choice) is passed through by the orchestrator that claimed it; if that
  // one died before claiming what follows, the completion before it is fired again.
  if (stage && !stage.end && stage.taskCount === 0 && typeof (run as Partial<RunHead>).trigger === 'string') {
    return repairFollowUps(options, { ...run, trigger: (run as RunHead).trigger }, stage, new Set(), { resultIds: [], reported: new Set() }, isStale, report);
  }
  if (!stage || stage.end || stage.taskCount === 0) return;
  const { latest, reported, resultIds } = await stageAttempts(store, run.runId, stage.position);
  const claimed = new Set(latest.keys());
  // Every native run head names the trigger its tasks report to; a wskdeploy deployment has no workflow document.
  const { trigger } = run as Partial<RunHead>;
  if (typeof trigger === 'string') {
    const open = [...latest.values()].filter((claim) => !reported.has(claim.index) && (claim.deadline !== undefined || claim.heartbeatMs !== undefined));
    const target = { client: options.client, store, eventKey: options.eventKey, now: (options.now ?? Date.now)() };
    report.expired.push(...await fireDueAttempts(target, trigger, open, (claim) => sweptContext({ ...run, trigger }, stage, claim.index, claim.attempt)));
  }
  // A child run's attempt has no task activation to read: the child's own tasks are swept with it.
  // Nor has an event stage's wait: its outcome is the event or its timer's.
  for (const [index, claim] of latest) if (claim.childRunId || claim.eventWait) latest.delete(index);
  const neverInvoked: ClaimedAttempt[] = [];
  const confirmations: Promise<void>[] = [];
  for (const claim of latest.values()) {
    if (reported.has(claim.index) || !isStale(claim.invokedAt ?? claim.claimedAt)) continue;
    if (!claim.activationId) {
      neverInvoked.push({ index: claim.index, attempt: claim.attempt });
      report.neverInvoked.push({ runId: run.runId, position: claim.position, index: claim.index, attempt: claim.attempt });
      continue;
    }
    const invokedAt = claim.invokedAt ?? claim.claimedAt;
    const lost = invokedAt < (options.lostBefore ?? -Infinity) || (options.lostAfterMs !== undefined && invokedAt <= (options.now ?? Date.now)() - options.lostAfterMs);
    const outcome = await outcomeOf(options.client, claim.activationId) ?? (lost ? lostOutcome(claim.activationId, LOST_WITHOUT_RECORD) : undefined);
    // A callback's action returning is not its outcome (its token's report is); its failure is.
    if (!outcome || (claim.callbackToken && !('error' in outcome.outcome))) {
      report.stillRunning += 1;
      continue;
    }
    if (typeof trigger !== 'string') break;
    const task = sweptContext({ ...run, trigger }, stage, claim.index, claim.attempt);
    const payload = toPayload(taskOutcomeEvent(withAttemptToken(task, options.eventKey), outcome.outcome, outcome.activationId));
    const delivery = await deliverEvent(options.client, trigger, run.workflow, payload, Date.now() + 60_000);
    const item: Redelivery = { runId: run.runId, position: claim.position, index: claim.index, attempt: claim.attempt, outcome: 'error' in outcome.outcome ? 'failed' : 'completed', activationId: outcome.activationId };
    report.redelivered.push(item);
    // Confirmed together once all are fired: after a crash a stage may have a hundred lost tasks,
    // and waiting for each orchestrator activation in turn made the repair take minutes.
    confirmations.push((async () => {
      const check = options.confirmWithinMs !== 0 ? await checkDelivery(options.client, delivery.activationIds ?? [], Math.max(options.confirmUntil, Date.now() + 2_000)) : { handled: 'unknown' as const };
      if (check.handled === 'failed') report.failedRedeliveries += 1;
      Object.assign(item, { handled: check.handled, ...(check.handled === 'failed' ? { error: check.error, handlerActivationId: check.activationId } : {}) });
    })());
  }
  await Promise.all(confirmations);
  if (options.resume && neverInvoked.length > 0) {
    const { invoker, namespace, activationId, claimLeaseMs } = options.resume;
    // Claims whose claimer has ended (its activation has a record) are taken over at once (ended-claimers.ts).
    const endedBy = await endedClaimers(options.client, neverInvoked.map((item) => latest.get(item.index)?.claimedBy));
    const context = { store, invoker, namespace, activationId, endedClaimers: endedBy };
    // Claims taken before the platform restarted belong to orchestrator activations that died with
    // it: their lease is over now, not after the usual 310 s (which covers a claimer still alive).
    const now = (options.now ?? Date.now)();
    const claimedAt = new Map([...latest.values()].map((claim) => [claim.index, claim.claimedAt]));
    const orphaned = neverInvoked.filter((item) => (claimedAt.get(item.index) ?? Infinity) < (options.lostBefore ?? -Infinity));
    const others = neverInvoked.filter((item) => !orphaned.includes(item));
    if (orphaned.length > 0) report.resumed += await resumeClaimedAttempts({ ...context, claimLeaseMs: Math.min(claimLeaseMs ?? Infinity, Math.max(0, now - (options.lostBefore ?? now) - 1)) }, run.runId, stage.position, orphaned);
    if (others.length > 0) report.resumed += await resumeClaimedAttempts({ ...context, ...(claimLeaseMs !== undefined ? { claimLeaseMs } : {}) }, run.runId, stage.position, others);
  }
  if (typeof trigger === 'string') await repairFollowUps(options, { ...run, trigger }, stage, claimed, { resultIds, reported }, isStale, report);
}

/** Fires again the stored completions whose follow-ups were lost (stalled-stages.ts). */
async function repairFollowUps(
  options: SweepOptions, run: RunDoc & { trigger: string }, stage: StageDoc, claimed: Set<number>,
  { resultIds, reported }: Pick<StageAttempts, 'resultIds' | 'reported'>, isStale: (time: number) => boolean, report: SweepReport,
): Promise<void> {
  const { store } = options;
  const plan = stage.taskCount === 0 ? { refire: [], unclaimedStart: true, join: false } : stalledFollowUps(stage, claimed, reported);
  if (plan.join) plan.refire = joinRefires(resultIds, (await store.listByPrefix(docIds.joinedPrefix(run.runId, stage.position))).map((row) => row.id));
  const fire = async (at: StageDoc, result: ResultDoc) => {
    if (!isStale(result.completedAt)) return;
    const task = sweptContext(run, at, result.index, result.attempt);
    const outcome: Outcome = result.ok ? { result: result.result ?? null } : { error: (result.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown' }) as unknown as Json };
    await deliverEvent(options.client, run.trigger, run.workflow, toPayload(taskOutcomeEvent(withAttemptToken(task, options.eventKey), outcome, result.activationId)), Date.now() + 60_000);
    report.followUps.push({ runId: run.runId, position: at.position, index: result.index });
  };
  // A bounded number per round: each is an orchestrator activation (a 1,000-task map has ~32 buckets).
  for (const index of plan.refire.slice(0, 50)) {
    const result = await store.get<ResultDoc>(docIds.result(run.runId, stage.position, index, stage.taskCount));
    if (result) await fire(stage, result);
  }
  if (plan.unclaimedStart && stage.position > 0 && isStale(stage.startedAt)) {
    const previous = await store.get<StageDoc>(docIds.stage(run.runId, stage.position - 1));
    const [last] = previous && previous.taskCount > 0 ? await store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, previous.position), { includeDocs: true, descending: true, limit: 1 }) : [];
    if (previous && last?.doc) await fire(previous, last.doc);
  }
}

/**
 * The context of an attempt whose outcome the sweep fires, as the orchestrator handed it out (its
 * stage and task key); a head without its definition gets the transition's stage only.
 */
function sweptContext(run: RunDoc & { trigger: string }, stage: StageDoc, index: number, attempt: number): TaskContext {
  const head = run as Partial<RunHead> & typeof run;
  if (head.definition && !stage.end) return attemptContext({ ...head, definition: head.definition, selfReporting: head.selfReporting ?? [] }, stage, index, attempt);
  return { runId: run.runId, workflow: run.workflow, position: stage.position, index, attempt, trigger: run.trigger, stageId: stage.stageId };
}

/**
 * Fires the end of a child run at its parent (as the orchestrator's reportToParent would have), then
 * marks the child's head ended, in that order for the same reason as there.
 */
async function reportChildEnd(options: SweepOptions, run: RunDoc, parent: NonNullable<RunDoc['parent']>, end: NonNullable<StageDoc['end']>, report: SweepReport): Promise<void> {
  const outcome: Outcome = end.status === 'succeeded' ? { result: end.output ?? null } : { error: (end.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown' }) as unknown as Json };
  const payload = toPayload(taskOutcomeEvent(withAttemptToken(parent, options.eventKey), outcome, end.failure?.activationId));
  await deliverEvent(options.client, parent.trigger, parent.workflow, payload, Date.now() + 60_000);
  await endRunHead(options.store, run.runId, end, (options.now ?? Date.now)());
  report.childEnds.push({ runId: run.runId, parentRunId: parent.runId, status: end.status });
}

function isActionReader(client: object): client is ActionReader {
  const actions = (client as { actions?: { get?: unknown } }).actions;
  return typeof actions?.get === 'function';
}
