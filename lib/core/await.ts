/**
 * An `event` stage on a Draft (the streaming engine and the bare core): the thread parks with one
 * slot, task key `<stage>:<seq>:0:1`, that the awaited event fills as a `task.completed` (its data
 * the result) and the timeout, if any, as a `task.timed-out` (`whiskflow.Timeout`, like a task's).
 * Filling a slot is idempotent (tasks.ts), so a duplicated or late event changes nothing.
 */
import { taskCompleted, taskTimedOut } from '../events/build';
import { formatTaskKey } from '../events/task-key';
import type { TaskCompletedEvent } from '../events/types';
import type { AwaitStep } from '../model/compile';
import type { ExternalEvent } from './correlation';
import type { Draft } from './draft';
import type { AwaitEventEffect, ScheduleTimeoutEffect } from './effects';

/** The task key of the slot a wait at visit `seq` of `stageId` fills. */
export function awaitTaskKey(stageId: string, seq: number): string {
  return formatTaskKey({ stageId, seq, index: 0, attempt: 1 });
}

/** Record the wait and ask the interpreter to deliver the matching event (and arm the timeout). */
export function startAwait(draft: Draft, step: AwaitStep, seq: number, key: string): void {
  const taskKey = awaitTaskKey(step.id, seq);
  const runId = draft.state.runId;
  draft.state.tasks[taskKey] = { taskKey, stageId: step.id, action: `event:${step.eventType}`, status: 'started', startedAt: draft.time };
  const effect: AwaitEventEffect = { kind: 'await-event', runId, stageId: step.id, seq, taskKey, eventType: step.eventType, key };
  const effects: (AwaitEventEffect | ScheduleTimeoutEffect)[] = [effect];
  if (step.timeoutMs !== undefined) {
    effect.timeoutMs = step.timeoutMs;
    effects.push({ kind: 'schedule-timeout', taskKey, ms: step.timeoutMs, event: taskTimedOut({ runId, taskKey, timeoutMs: step.timeoutMs, time: draft.time }) });
  }
  draft.emit(...effects);
}

/**
 * The event that resumes the wait `taskKey` of `runId` with `received`. Its id names the slot, not
 * the external event: two different events for one wait are duplicates of each other, and the first
 * one applied is the one the run received.
 */
export function eventDelivered(runId: string, taskKey: string, received: ExternalEvent): TaskCompletedEvent {
  return taskCompleted({ runId, taskKey, result: received.data, time: received.time });
}
