/**
 * The join condition (Triggerflow's `join`, made pure): a context counts distinct arrivals and
 * holds when all `expected` slots have arrived. Arrivals are keyed by slot (element or branch
 * index), so a redelivered completion for a slot already seen is reported as a duplicate and can
 * never fire the join a second time. `recordArrival` returns a new context and never mutates;
 * `recordArrivalInPlace` is for a caller that owns its context (an engine's working copy), because
 * copying a 10,000-slot context on every arrival made a wide join quadratic.
 */
import type { Json } from '../model/json';

export interface JoinContext {
  /** How many slots must arrive (map: elements; parallel: branches). */
  expected: number;
  /** Results by slot index (as a string key, so the context stays JSON). */
  arrived: Record<string, Json>;
  /** How many slots have arrived; absent in contexts stored before it was kept (then counted once). */
  count?: number;
  /** Slots that failed for good, under a completion policy that tolerates failures (completion.ts). */
  failed?: number[];
}

export type ArrivalVerdict =
  /** The slot had already arrived: no change, nothing may fire. */
  | { kind: 'duplicate'; context: JoinContext }
  /** Recorded; more slots are still missing. */
  | { kind: 'waiting'; context: JoinContext; missing: number }
  /** Recorded, and it was the last one: results in slot order. Happens once per context. */
  | { kind: 'complete'; context: JoinContext; results: Json[] };

export function emptyJoin(expected: number): JoinContext {
  return { expected, arrived: {}, count: 0 };
}

export function arrivedCount(context: JoinContext): number {
  return context.count ?? Object.keys(context.arrived).length;
}

export function hasArrived(context: JoinContext, slot: number): boolean {
  return Object.prototype.hasOwnProperty.call(context.arrived, String(slot));
}

/** Record that `slot` produced `result`. Slots outside `0..expected-1` are a caller bug. */
export function recordArrival(context: JoinContext, slot: number, result: Json): ArrivalVerdict {
  checkSlot(context, slot);
  if (hasArrived(context, slot)) return { kind: 'duplicate', context };
  return recordArrivalInPlace(copyJoin(context), slot, result);
}

/** `recordArrival` writing into `context` itself: only for a context nobody else holds. */
export function recordArrivalInPlace(context: JoinContext, slot: number, result: Json): ArrivalVerdict {
  checkSlot(context, slot);
  if (hasArrived(context, slot)) return { kind: 'duplicate', context };
  const count = arrivedCount(context) + 1;
  context.arrived[String(slot)] = result;
  context.count = count;
  const missing = context.expected - count;
  if (missing > 0) return { kind: 'waiting', context, missing };
  return { kind: 'complete', context, results: orderedResults(context) };
}

/**
 * A copy that may be written to. A plain loop rather than a spread: slot keys put a wide context's
 * `arrived` in V8's dictionary mode, where spreading is slow. Contexts are JSON: no inherited keys.
 */
export function copyJoin(context: JoinContext): JoinContext {
  const arrived: Record<string, Json> = {};
  for (const slot in context.arrived) arrived[slot] = context.arrived[slot] as Json;
  const copy: JoinContext = { expected: context.expected, arrived, count: arrivedCount(context) };
  if (context.failed) copy.failed = [...context.failed];
  return copy;
}

/** Slots that failed for good. */
export function failedCount(context: JoinContext): number {
  return context.failed?.length ?? 0;
}

/** Whether `slot` has an outcome (a result or a failure for good). */
export function hasEnded(context: JoinContext, slot: number): boolean {
  return hasArrived(context, slot) || (context.failed?.includes(slot) ?? false);
}

/** Records that `slot` failed for good, in place; false when it had already ended (a duplicate). */
export function recordFailureInPlace(context: JoinContext, slot: number): boolean {
  checkSlot(context, slot);
  if (hasEnded(context, slot)) return false;
  context.failed = [...(context.failed ?? []), slot];
  return true;
}

/** The results that arrived, in slot order (what a completion policy passes on). */
export function arrivedResults(context: JoinContext): Json[] {
  return Object.keys(context.arrived).map(Number).sort((a, b) => a - b).map((slot) => context.arrived[String(slot)] as Json);
}

function checkSlot(context: JoinContext, slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= context.expected) {
    throw new RangeError(`join slot ${slot} is outside 0..${context.expected - 1}`);
  }
}

/** Results of a complete context in slot order. */
export function orderedResults(context: JoinContext): Json[] {
  return Array.from({ length: context.expected }, (_, slot) => {
    const result = context.arrived[String(slot)];
    if (result === undefined) throw new RangeError(`join slot ${slot} has not arrived`);
    return result;
  });
}
