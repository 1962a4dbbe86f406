/**
 * What a task event does to a run: a completion fills its slot (any attempt may fill it, first one
 * wins); a failure or timeout of the *current* attempt retries with backoff or fails the stage.
 * Events for slots already filled, stale attempts or stages no longer waiting change nothing.
 */
import { hasEnded, recordArrivalInPlace, recordFailureInPlace } from '../conditions/join';
import type { RunError, TaskEvent } from '../events/types';
import { EVENT_TYPES, timeoutError } from '../events/types';
import { parseTaskKey, type TaskKey } from '../events/task-key';
import { stepOf, type AwaitStep, type FanOutStep, type InvokeStep } from '../model/compile';
import type { Json } from '../model/json';
import { nextInWindow } from '../model/workflow';
import { startAttempt } from './attempts';
import type { Draft } from './draft';
import { retryDelayMs, shouldRetry } from './retry';
import type { FanOutWait, TaskRecord, TaskWait, Thread } from './run-state';
import { elementFailure } from './scope';
import { completeParkedStep, joinVerdict, startElement, threadAt } from './steps';

/** A task event reduced to what happened. */
export type TaskOutcome =
  | { kind: 'completed'; result: Json; activationId?: string }
  | { kind: 'failed'; error: RunError; activationId?: string };

export function taskOutcomeOf(event: TaskEvent): TaskOutcome {
  switch (event.type) {
    case EVENT_TYPES.taskCompleted:
      return withActivation({ kind: 'completed', result: event.data.result }, event.data.activationId);
    case EVENT_TYPES.taskFailed: {
      const error: RunError = { ...event.data.error, stageId: event.data.stageId, taskKey: event.data.taskKey };
      if (event.data.activationId !== undefined) error.activationId = event.data.activationId;
      return withActivation({ kind: 'failed', error }, event.data.activationId);
    }
    case EVENT_TYPES.taskTimedOut:
      return {
        kind: 'failed',
        error: { ...timeoutError(event.data.timeoutMs), stageId: event.data.stageId, taskKey: event.data.taskKey },
      };
    default:
      return unknownEvent(event);
  }
}

export function applyTaskEvent(draft: Draft, event: TaskEvent): void {
  const key = parseTaskKey(event.data.taskKey);
  const parked = threadAt(draft, key.stageId, key.seq);
  if (!parked) return;
  const outcome = taskOutcomeOf(event);
  const step = stepOf(draft.workflow, parked.stageId);
  if (parked.wait.kind === 'task' && (step.kind === 'invoke' || step.kind === 'await')) return onTask(draft, parked, parked.wait, step, key, outcome, event);
  if (parked.wait.kind === 'fan-out' && step.kind === 'fan-out') return onElement(draft, parked, parked.wait, step, key, outcome, event);
  // A wait's timer: its one completion (slot 0, attempt 1) wakes it; a second finds it gone.
  if (parked.wait.kind === 'timer' && step.kind === 'wait' && key.index === 0 && outcome.kind === 'completed') {
    completeParkedStep(draft, parked, { status: 'succeeded', result: null });
  }
}

function onTask(draft: Draft, parked: Thread, wait: TaskWait, step: InvokeStep | AwaitStep, key: TaskKey, outcome: TaskOutcome, event: TaskEvent): void {
  if (key.index !== 0 || key.attempt > wait.attempt) return;
  if (outcome.kind === 'completed') {
    recordTask(draft, event, 'succeeded', outcome);
    return completeParkedStep(draft, parked, { status: 'succeeded', result: outcome.result });
  }
  if (key.attempt !== wait.attempt) return;
  recordTask(draft, event, event.type === EVENT_TYPES.taskTimedOut ? 'timed-out' : 'failed', outcome);
  // An event stage has no retry: its wait ends with its timeout.
  if (step.kind === 'invoke' && shouldRetry(step.retry, key.attempt, outcome.error.error) && step.retry) {
    wait.attempt = key.attempt + 1;
    return startAttempt(draft, step, { ...key, attempt: wait.attempt }, wait.params, retryDelayMs(step.retry, key.attempt));
  }
  completeParkedStep(draft, parked, { status: 'failed', error: outcome.error });
}

function onElement(draft: Draft, parked: Thread, wait: FanOutWait, step: FanOutStep, key: TaskKey, outcome: TaskOutcome, event: TaskEvent): void {
  const current = wait.attempts[String(key.index)];
  if (current === undefined || key.attempt > current || hasEnded(wait.join, key.index)) return;
  if (outcome.kind === 'completed') {
    recordTask(draft, event, 'succeeded', outcome);
    // The draft owns its fan-out joins (copied with the wait, see draft.ts): no per-arrival copy.
    const verdict = recordArrivalInPlace(wait.join, key.index, outcome.result);
    wait.join = verdict.context;
    if (step.completion !== undefined) return settleElements(draft, parked, wait, step, key, undefined);
    // Sliding window: element i's resolution starts element i+concurrency (nextInWindow).
    startNext(draft, step, wait, key);
    if (verdict.kind === 'complete') completeParkedStep(draft, parked, { status: 'succeeded', result: verdict.results });
    return;
  }
  if (key.attempt !== current) return;
  recordTask(draft, event, event.type === EVENT_TYPES.taskTimedOut ? 'timed-out' : 'failed', outcome);
  if (shouldRetry(step.retry, key.attempt, outcome.error.error) && step.retry) {
    return startElement(draft, step, key.seq, key.index, key.attempt + 1, retryDelayMs(step.retry, key.attempt));
  }
  if (step.completion !== undefined) {
    recordFailureInPlace(wait.join, key.index);
    return settleElements(draft, parked, wait, step, key, elementFailure(outcome.error, key.index));
  }
  // Fail fast, as a map in Amazon States Language does: elements still running are ignored.
  completeParkedStep(draft, parked, { status: 'failed', error: elementFailure(outcome.error, key.index) });
}

/**
 * A map with a completion policy after element `key.index` ended: complete (the successes that
 * counted, in input order), fail, or start the next element of the window and wait on. Elements
 * still running when it completes are left to finish; their outcomes find no thread.
 */
function settleElements(draft: Draft, parked: Thread, wait: FanOutWait, step: FanOutStep, key: TaskKey, error: RunError | undefined): void {
  const verdict = joinVerdict(step.completion, wait.join);
  if (verdict === 'pending') return startNext(draft, step, wait, key);
  if (verdict === 'failed') {
    return completeParkedStep(draft, parked, { status: 'failed', error: error ?? { error: 'whiskflow.CompletionUnreachable', stageId: step.id } });
  }
  completeParkedStep(draft, parked, { status: 'succeeded', result: verdict.results });
}

function startNext(draft: Draft, step: FanOutStep, wait: FanOutWait, key: TaskKey): void {
  const next = nextInWindow(key.index, wait.concurrency, wait.items.length);
  if (next !== undefined) startElement(draft, step, key.seq, next, 1, 0);
}

function recordTask(draft: Draft, event: TaskEvent, status: TaskRecord['status'], outcome: TaskOutcome): void {
  const started = draft.state.tasks[event.data.taskKey];
  if (!started) return;
  // Replaced, not changed in place: the record is shared with the caller's state (see Draft). Built
  // field by field: a spread costs the engines more than the rest of this function.
  const record: TaskRecord = { taskKey: started.taskKey, stageId: started.stageId, action: started.action, status, startedAt: started.startedAt, endedAt: event.time };
  const activationId = outcome.activationId ?? started.activationId;
  if (activationId !== undefined) record.activationId = activationId;
  const error = outcome.kind === 'failed' ? outcome.error : started.error;
  if (error !== undefined) record.error = error;
  draft.state.tasks[event.data.taskKey] = record;
}

function withActivation<T extends TaskOutcome>(outcome: T, activationId: string | undefined): T {
  if (activationId !== undefined) outcome.activationId = activationId;
  return outcome;
}

function unknownEvent(event: never): never {
  throw new Error(`not a task event: ${JSON.stringify(event)}`);
}
