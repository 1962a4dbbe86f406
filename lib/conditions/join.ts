/**
 * The join condition (Triggerflow's `join`, made pure): a context counts distinct arrivals and
 * holds when all `expected` slots have arrived. Arrivals are keyed by slot (element or branch
 * index), so a redelivered completion for a slot already seen is reported as a duplicate and can
 * never fire the join a second time; the context is returned new, never mutated.
 */
import type { Json } from '../model/json';

export interface JoinContext {
  /** How many slots must arrive (map: elements; parallel: branches). */
  expected: number;
  /** Results by slot index (as a string key, so the context stays JSON). */
  arrived: Record<string, Json>;
}

export type ArrivalVerdict =
  /** The slot had already arrived: no change, nothing may fire. */
  | { kind: 'duplicate'; context: JoinContext }
  /** Recorded; more slots are still missing. */
  | { kind: 'waiting'; context: JoinContext; missing: number }
  /** Recorded, and it was the last one: results in slot order. Happens once per context. */
  | { kind: 'complete'; context: JoinContext; results: Json[] };

export function emptyJoin(expected: number): JoinContext {
  return { expected, arrived: {} };
}

export function arrivedCount(context: JoinContext): number {
  return Object.keys(context.arrived).length;
}

export function hasArrived(context: JoinContext, slot: number): boolean {
  return Object.prototype.hasOwnProperty.call(context.arrived, String(slot));
}

/** Record that `slot` produced `result`. Slots outside `0..expected-1` are a caller bug. */
export function recordArrival(context: JoinContext, slot: number, result: Json): ArrivalVerdict {
  if (!Number.isInteger(slot) || slot < 0 || slot >= context.expected) {
    throw new RangeError(`join slot ${slot} is outside 0..${context.expected - 1}`);
  }
  if (hasArrived(context, slot)) return { kind: 'duplicate', context };
  const next: JoinContext = { expected: context.expected, arrived: { ...context.arrived, [String(slot)]: result } };
  const missing = next.expected - arrivedCount(next);
  if (missing > 0) return { kind: 'waiting', context: next, missing };
  return { kind: 'complete', context: next, results: orderedResults(next) };
}

/** Results of a complete context in slot order. */
export function orderedResults(context: JoinContext): Json[] {
  return Array.from({ length: context.expected }, (_, slot) => {
    const result = context.arrived[String(slot)];
    if (result === undefined) throw new RangeError(`join slot ${slot} has not arrived`);
    return result;
  });
}
