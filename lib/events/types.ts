/**
 * The events of a run, as typed values. On the wire they are CloudEvents (see `cloudevent.ts`); in
 * the engine they are this discriminated union, keyed by `type`.
 *
 * Event ids are derived from what the event is about (run, task key, stage visit), not random, so
 * that an event emitted twice (a retried write, a redelivered message) carries the same id and the
 * transition can recognise it.
 */
import type { Json } from '../model/json';

export const EVENT_TYPES = {
  runStarted: 'dev.whiskflow.run.started',
  taskCompleted: 'dev.whiskflow.task.completed',
  taskFailed: 'dev.whiskflow.task.failed',
  taskTimedOut: 'dev.whiskflow.task.timed-out',
  stageCompleted: 'dev.whiskflow.stage.completed',
  runFinished: 'dev.whiskflow.run.finished',
  runCancelled: 'dev.whiskflow.run.cancelled',
} as const;

export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/**
 * A callback attempt is still being worked on (`whiskflow heartbeat <token>`, lib/report, HTTP): it
 * postpones the attempt's `heartbeatSeconds` limit and changes no run state, so it is no run event
 * of the core's; each runtime carries it to where it keeps the attempt's latest heartbeat.
 */
export const TASK_HEARTBEAT_TYPE = 'dev.whiskflow.task.heartbeat';

/** What went wrong in a task: an error name (matched by `retry.errors` and `catch.errors`) and a cause. */
export interface TaskError {
  /** e.g. the action's `error` field, `whiskflow.Timeout`, `whiskflow.NoChoiceMatched`. */
  error: string;
  cause?: string;
}

/** A run's failure: the task error plus where it happened. */
export interface RunError extends TaskError {
  stageId?: string;
  taskKey?: string;
  /** The OpenWhisk activation that failed, when there was one. */
  activationId?: string;
}

interface EventCommon {
  id: string;
  /** ISO 8601; the transition takes "now" from here, which keeps it pure. */
  time: string;
}

export interface RunStartedEvent extends EventCommon {
  type: typeof EVENT_TYPES.runStarted;
  data: { runId: string; workflow: string; input: Json };
}

export interface TaskCompletedEvent extends EventCommon {
  type: typeof EVENT_TYPES.taskCompleted;
  data: { runId: string; stageId: string; taskKey: string; result: Json; activationId?: string };
}

export interface TaskFailedEvent extends EventCommon {
  type: typeof EVENT_TYPES.taskFailed;
  data: { runId: string; stageId: string; taskKey: string; error: TaskError; activationId?: string };
}

/**
 * An attempt gave no outcome within its stage's `timeout`: the streaming engine delivers it when a
 * `schedule-timeout` effect comes due, the native runtime's timer action fires it. Both runtimes
 * read it as the attempt's failure `timeoutError(timeoutMs)` (ignored if the attempt finished first).
 */
export interface TaskTimedOutEvent extends EventCommon {
  type: typeof EVENT_TYPES.taskTimedOut;
  data: { runId: string; stageId: string; taskKey: string; timeoutMs: number };
}

/** The error name of a timed-out attempt, as `retry.errors` and `catch.errors` match it. */
export const TIMEOUT_ERROR = 'whiskflow.Timeout';

/** What a `task.timed-out` event means: the attempt failed with `whiskflow.Timeout`. */
export function timeoutError(timeoutMs: number): TaskError {
  return { error: TIMEOUT_ERROR, cause: `no result within ${timeoutMs} ms` };
}

/**
 * The error name of a callback task's attempt whose heartbeats stopped (`heartbeatSeconds`), as
 * Step Functions names it `States.HeartbeatTimeout`; `retry.errors` and `catch.errors` match it.
 */
export const HEARTBEAT_TIMEOUT_ERROR = 'whiskflow.HeartbeatTimeout';

/** What a missed heartbeat means: the attempt failed with `whiskflow.HeartbeatTimeout`. */
export function heartbeatTimeoutError(heartbeatMs: number): TaskError {
  return { error: HEARTBEAT_TIMEOUT_ERROR, cause: `no heartbeat within ${heartbeatMs} ms` };
}

export interface StageCompletedEvent extends EventCommon {
  type: typeof EVENT_TYPES.stageCompleted;
  data: { runId: string; stageId: string; seq: number; status: 'succeeded' | 'failed'; output?: Json; error?: RunError };
}

export interface RunFinishedEvent extends EventCommon {
  type: typeof EVENT_TYPES.runFinished;
  data: { runId: string; status: 'succeeded' | 'failed' | 'cancelled'; result?: Json; error?: RunError };
}

/**
 * A request to end a run now (`whiskflow cancel`): no task starts after it is applied, the run ends
 * `cancelled`, and completions that arrive later are recorded as ignored. Its id is derived from the
 * run, so a repeated cancel is a duplicate.
 */
export interface RunCancelledEvent extends EventCommon {
  type: typeof EVENT_TYPES.runCancelled;
  data: { runId: string; reason: string };
}

export type WhiskflowEvent =
  | RunStartedEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TaskTimedOutEvent
  | StageCompletedEvent
  | RunFinishedEvent
  | RunCancelledEvent;

/** Events that report on a task (what an action's completion turns into). */
export type TaskEvent = TaskCompletedEvent | TaskFailedEvent | TaskTimedOutEvent;
