/**
 * Durable limits of attempts that no activation runs to their end: an event stage's wait and a
 * callback task (whose action hands its token on and returns). Their `timeout` and a callback's
 * `heartbeatSeconds` are kept on the attempt's invoke claim (`deadline`, `timeoutMs`,
 * `heartbeatMs`), and a callback's heartbeats on `beat/<run>/<position>/<index>/<attempt>`; the sweep
 * (`whiskflow local`'s upkeep, or `whiskflow deploy --sweep-cron` on OpenWhisk) fires the attempt's
 * `task.timed-out` (`whiskflow.Timeout`) or `task.failed` (`whiskflow.HeartbeatTimeout`, the core's
 * `heartbeatTimedOut`) through the workflow's trigger once due, like a wait stage's timer (waits.ts).
 *
 * Durable because the limits are in the store: a restart of the platform loses nothing, and a limit
 * that passed while everything was down fires at the first sweep after. Exactly once in effect: the
 * attempt's outcome is a create-only `result/…`, so a limit fired twice, or after the attempt's
 * report, changes nothing. Precision is the sweep's interval; a timeout short enough for the
 * `whiskflow/timer` action's time limit is also armed there (PROMPT_TIMER_MAX_MS), which fires it
 * on time while the platform stays up.
 */
import { heartbeatTimeoutError } from '../../events/types';
import { deliverEvent } from '../../openwhisk/deliver';
import type { DeliveryClient } from '../../openwhisk/client';
import { updateWithRetry } from '../../store/claims';
import { createOne } from '../../store/bulk';
import { docIds, type HeartbeatDoc, type InvokeDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { taskOutcomeEvent, taskTimedOutEvent, toPayload, type TaskContext } from './events';
import { withAttemptToken } from './invoker';

/**
 * Timeouts at most this long are also armed on `whiskflow/timer` (deployed with 300 s), which sleeps
 * within its own limit: a longer one is left to the sweep alone (the timer would fire it early).
 */
export const PROMPT_TIMER_MAX_MS = 240_000;

/** The fields a claim keeps for its durable limits (none when the step has neither). */
export function durableLimits(startedAt: number, timeoutMs: number | undefined, heartbeatMs: number | undefined): Pick<InvokeDoc, 'deadline' | 'timeoutMs' | 'heartbeatMs'> {
  return {
    ...(timeoutMs !== undefined ? { deadline: startedAt + timeoutMs, timeoutMs } : {}),
    ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
  };
}

/** An attempt whose limit the sweep fired. */
export interface ExpiredAttempt {
  runId: string;
  position: number;
  index: number;
  attempt: number;
  /** `timeout`: its `timeout` passed; `heartbeat`: no heartbeat in time. */
  limit: 'timeout' | 'heartbeat';
}

/** When a claim's heartbeat is due: after its latest heartbeat, or its start; undefined without a heartbeat limit. */
export function heartbeatDue(claim: InvokeDoc, beat: HeartbeatDoc | undefined): number | undefined {
  if (claim.heartbeatMs === undefined) return undefined;
  return Math.max(beat?.at ?? 0, claim.invokedAt ?? claim.claimedAt) + claim.heartbeatMs;
}

/**
 * Fires the limits that are due among `open` (claims without an outcome) at the run's trigger;
 * `contextOf` gives the attempt's context as the orchestrator handed it out.
 */
export async function fireDueAttempts(
  target: { client: DeliveryClient; store: RunStore; eventKey?: string | undefined; now: number },
  trigger: string, open: readonly InvokeDoc[], contextOf: (claim: InvokeDoc) => TaskContext,
): Promise<ExpiredAttempt[]> {
  const expired: ExpiredAttempt[] = [];
  for (const claim of open) {
    const limit = await dueLimit(target.store, claim, target.now);
    if (!limit) continue;
    const context = withAttemptToken(contextOf(claim), target.eventKey);
    const event = limit === 'timeout'
      ? taskTimedOutEvent(context, claim.timeoutMs ?? 0)
      : taskOutcomeEvent(context, { error: { ...heartbeatTimeoutError(claim.heartbeatMs ?? 0) } });
    await deliverEvent(target.client, trigger, context.workflow, toPayload(event), Date.now() + 60_000);
    expired.push({ runId: claim.runId, position: claim.position, index: claim.index, attempt: claim.attempt, limit });
  }
  return expired;
}

async function dueLimit(store: RunStore, claim: InvokeDoc, now: number): Promise<ExpiredAttempt['limit'] | undefined> {
  if (claim.deadline !== undefined && claim.deadline <= now) return 'timeout';
  if (claim.heartbeatMs === undefined) return undefined;
  const beat = await store.get<HeartbeatDoc>(docIds.heartbeat(claim.runId, claim.position, claim.index, claim.attempt));
  const due = heartbeatDue(claim, beat);
  return due !== undefined && due <= now ? 'heartbeat' : undefined;
}

/** Records a heartbeat of a callback attempt (authenticated by its token before): its latest time. */
export async function recordHeartbeat(store: RunStore, task: TaskContext, now: number): Promise<HeartbeatDoc> {
  const id = docIds.heartbeat(task.runId, task.position, task.index, task.attempt);
  const first: HeartbeatDoc = { type: 'heartbeat', runId: task.runId, position: task.position, index: task.index, attempt: task.attempt, at: now, count: 1 };
  if ((await createOne(store, id, first)).outcome === 'created') return first;
  const updated = await updateWithRetry<HeartbeatDoc>(store, id, (current) => ({ ...current, at: Math.max(current.at, now), count: current.count + 1 }));
  return updated ?? first;
}
