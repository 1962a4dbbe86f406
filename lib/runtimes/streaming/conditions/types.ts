/**
 * Triggerflow's conditions, made pure: a condition sees one observation at a time (an event, or the
 * clock passing a deadline) and returns a NEW context with a verdict, never changing the one it was
 * given. Every context records the ids of the events it has counted, so a redelivered event is
 * reported as a duplicate and cannot make a condition fire twice; a condition that has fired or
 * failed stays so.
 */
import type { Condition as DataCondition } from '../../../model/workflow';
import type { Json } from '../../../model/json';

/** What a condition can wait for. Plain data, so triggers can be stored and sent. */
export type StreamCondition =
  /** All `expected` slots (task indexes) have arrived; results in slot (input) order. */
  | { kind: 'join'; expected: number }
  /** `k` distinct events out of `of` expected; fires once, on the k-th. */
  | { kind: 'threshold'; k: number; of: number }
  /** The first event whose data satisfies `when` (the choice conditions of the workflow model). */
  | { kind: 'predicate'; when: DataCondition }
  /** Every part holds; each part sees only the events of its own stage. */
  | { kind: 'all-of'; parts: { stageId: string; condition: StreamCondition }[] }
  /** `condition`, or, once `afterMs` passed since the context was created, fire or fail anyway. */
  | { kind: 'timeout'; afterMs: number; onTimeout: 'fire' | 'fail'; condition: StreamCondition };

export type StreamConditionKind = StreamCondition['kind'];

/** One event as conditions see it. */
export interface Observation {
  /** CloudEvent id: what duplicates are recognised by. */
  id: string;
  /** Stage the event reports on, when it reports on one. */
  stageId?: string;
  /** Slot the event fills: the task index of a map element or a parallel branch; absent for others. */
  slot?: number;
  /** What the condition aggregates and tests: the task result, or the event data. */
  data: Json;
  /** Whether the event reports a failure (a failed or timed-out task). */
  failed: boolean;
}

/** What a condition is shown: an event, or "it is now `time`" (a timer came due). */
export type Input = { kind: 'event'; observation: Observation } | { kind: 'tick'; time: string };

export type Status = 'waiting' | 'fired' | 'failed';

/** The state of one condition. JSON only, so it is checkpointed with the run. */
export interface ConditionContext {
  status: Status;
  /** Ids of the events counted so far. */
  seen: string[];
  /** Aggregated results by slot (as string keys), or by arrival order for events without a slot. */
  results: Record<string, Json>;
  /** ISO time after which a `timeout` condition gives up; absent for the others. */
  deadline?: string;
  /** Contexts of an `all-of`'s parts or a `timeout`'s inner condition, in order. */
  parts?: ConditionContext[];
  /** Why a condition failed. */
  reason?: string;
}

export type Verdict =
  /** Already counted, or the condition is already decided: nothing changed, nothing may fire. */
  | { kind: 'unchanged'; context: ConditionContext }
  | { kind: 'waiting'; context: ConditionContext }
  /** Holds now, for the first and only time; `results` in slot order. */
  | { kind: 'fired'; context: ConditionContext; results: Json[] }
  | { kind: 'failed'; context: ConditionContext; reason: string };
