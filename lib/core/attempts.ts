/** Starting one attempt of a task: its record in the run state and the effects that run it. */
import { taskTimedOut } from '../events/build';
import { formatTaskKey, type TaskKey } from '../events/task-key';
import type { FanOutStep, InvokeStep } from '../model/compile';
import type { JsonObject } from '../model/json';
import type { Draft } from './draft';
import type { InvokeEffect, ScheduleTimeoutEffect } from './effects';

/** Invoke (after `delayMs` when it is a retry), with its timeout timer when the step has one. */
export function startAttempt(draft: Draft, step: InvokeStep | FanOutStep, key: TaskKey, params: JsonObject, delayMs: number): void {
  const taskKey = formatTaskKey(key);
  const runId = draft.state.runId;
  draft.state.tasks[taskKey] = { taskKey, stageId: step.id, action: step.action, status: 'started', startedAt: draft.time };
  const invoke: InvokeEffect = { kind: 'invoke', runId, stageId: step.id, taskKey, action: step.action, params };
  if (step.kind === 'invoke' && step.callback) invoke.callback = true;
  if (step.kind === 'invoke' && step.heartbeatMs !== undefined) invoke.heartbeatMs = step.heartbeatMs;
  const run: (InvokeEffect | ScheduleTimeoutEffect)[] = [invoke];
  if (step.timeoutMs !== undefined) {
    invoke.timeoutMs = step.timeoutMs;
    run.push({
      kind: 'schedule-timeout',
      taskKey,
      ms: step.timeoutMs,
      // The time of a timer event is only known when it fires; the interpreter may restamp it.
      event: taskTimedOut({ runId, taskKey, timeoutMs: step.timeoutMs, time: draft.time }),
    });
  }
  if (delayMs > 0) draft.emit({ kind: 'retry-after', taskKey, ms: delayMs, then: run });
  else draft.emit(...run);
}
