/**
 * What the transition asks an interpreter to do. Effects are data: the native interpreter performs
 * them with the `openwhisk` client and triggers, the streaming one with its broker; tests read them.
 */
import type { RunError, TaskCompletedEvent, TaskTimedOutEvent, WhiskflowEvent } from '../events/types';
import type { Json, JsonObject } from '../model/json';

/** Invoke `action` non-blocking with `params`; report the outcome as a task event for `taskKey`. */
export interface InvokeEffect {
  kind: 'invoke';
  runId: string;
  stageId: string;
  taskKey: string;
  action: string;
  params: JsonObject;
  /** Per-attempt limit; the matching `schedule-timeout` effect is issued alongside. */
  timeoutMs?: number;
  /** A callback task: the action gets the attempt's callback token, and its own result does not complete the task. */
  callback?: true;
  /**
   * A callback task's heartbeat limit: the interpreter delivers `heartbeatTimedOut` (lib/events/build.ts,
   * a `task.failed` with `whiskflow.HeartbeatTimeout`) when no heartbeat for the attempt's token has
   * arrived for this long since the invoke or the previous heartbeat; a heartbeat changes no run state.
   */
  heartbeatMs?: number;
}

/** After `ms`, deliver `event` (a `task.timed-out`); it is ignored if the task finished meanwhile. */
export interface ScheduleTimeoutEffect {
  kind: 'schedule-timeout';
  taskKey: string;
  ms: number;
  event: TaskTimedOutEvent;
}

/**
 * At `at` (ISO), deliver `event`: the `task.completed` of a wait stage's timer (slot 0, attempt 1),
 * which the interpreter keeps durably (streaming: a checkpointed timer). Delivered twice, the second
 * finds the wait over and changes nothing.
 */
export interface ScheduleWakeEffect {
  kind: 'schedule-wake';
  taskKey: string;
  at: string;
  event: TaskCompletedEvent;
}

/** After `ms` (retry backoff), perform `then`: the retry's invoke and, with a timeout, its timer. */
export interface RetryAfterEffect {
  kind: 'retry-after';
  taskKey: string;
  ms: number;
  then: (InvokeEffect | ScheduleTimeoutEffect)[];
}

/**
 * Deliver the external event of `eventType` with correlation key `key` (one that already arrived,
 * or the next one) to the wait `taskKey`, as its `task.completed` (await.ts `eventDelivered`).
 */
export interface AwaitEventEffect {
  kind: 'await-event';
  runId: string;
  stageId: string;
  seq: number;
  taskKey: string;
  eventType: string;
  key: string;
  /** The wait's limit; the matching `schedule-timeout` effect is issued alongside. */
  timeoutMs?: number;
}

/** Publish an event (observers, the streaming engine's topics). */
export interface EmitEffect {
  kind: 'emit';
  event: WhiskflowEvent;
}

/** The run is over; record it and notify whoever waits for the run. */
export type FinishEffect =
  | { kind: 'finish'; runId: string; status: 'succeeded'; result: Json }
  | { kind: 'finish'; runId: string; status: 'failed' | 'cancelled'; error: RunError };

export type Effect = InvokeEffect | ScheduleTimeoutEffect | ScheduleWakeEffect | RetryAfterEffect | EmitEffect | FinishEffect | AwaitEventEffect;
export type EffectKind = Effect['kind'];
