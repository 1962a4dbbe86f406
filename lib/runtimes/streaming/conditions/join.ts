/**
 * Join (Triggerflow's `join` / `counter`): fires when every slot `0..expected-1` has a result.
 * Counting by slot, not by event, means a repeated completion of one task (a redelivery with a new
 * id, a late retry) fills nothing new and cannot make the join fire early. A failed task fails it.
 */
import { counted, fired, failed } from './context';
import type { ConditionContext, Input, StreamCondition, Verdict } from './types';

export function evaluateJoin(condition: Extract<StreamCondition, { kind: 'join' }>, context: ConditionContext, input: Input): Verdict {
  if (input.kind === 'tick') return { kind: 'unchanged', context };
  const { observation } = input;
  if (observation.failed) return failed({ ...context, seen: [...context.seen, observation.id] }, `event ${observation.id} reports a failure`);
  const slot = observation.slot ?? Object.keys(context.results).length;
  if (!Number.isInteger(slot) || slot < 0 || slot >= condition.expected) {
    throw new RangeError(`join slot ${slot} is outside 0..${condition.expected - 1}`);
  }
  if (Object.prototype.hasOwnProperty.call(context.results, String(slot))) {
    return { kind: 'unchanged', context };
  }
  const next = counted(context, { ...observation, slot });
  return Object.keys(next.results).length >= condition.expected ? fired(next) : { kind: 'waiting', context: next };
}
