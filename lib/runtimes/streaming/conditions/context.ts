/** Creating condition contexts and the small, pure operations every condition shares. */
import type { Json } from '../../../model/json';
import type { ConditionContext, Observation, StreamCondition, Verdict } from './types';

/** A fresh context for `condition`, created at `time` (a timeout counts from there). */
export function createContext(condition: StreamCondition, time: string): ConditionContext {
  const context: ConditionContext = { status: 'waiting', seen: [], results: {} };
  switch (condition.kind) {
    case 'all-of':
      context.parts = condition.parts.map((part) => createContext(part.condition, time));
      break;
    case 'timeout':
      context.deadline = new Date(Date.parse(time) + condition.afterMs).toISOString();
      context.parts = [createContext(condition.condition, time)];
      break;
    case 'join':
    case 'threshold':
    case 'predicate':
      break;
    default: {
      const unknown: never = condition;
      throw new RangeError(`unknown condition ${JSON.stringify(unknown)}`);
    }
  }
  return context;
}

export function hasSeen(context: ConditionContext, eventId: string): boolean {
  return context.seen.includes(eventId);
}

/** A copy with the observation counted: its id recorded and its data kept under its slot. */
export function counted(context: ConditionContext, observation: Observation): ConditionContext {
  const slot = observation.slot ?? Object.keys(context.results).length;
  return {
    ...context,
    seen: [...context.seen, observation.id],
    results: { ...context.results, [String(slot)]: observation.data },
  };
}

/** Results in slot order (slots are integers; events without a slot were numbered on arrival). */
export function resultsInOrder(context: ConditionContext): Json[] {
  return Object.keys(context.results)
    .map(Number)
    .sort((a, b) => a - b)
    .map((slot) => context.results[String(slot)] as Json);
}

export function fired(context: ConditionContext): Verdict {
  const next: ConditionContext = { ...context, status: 'fired' };
  return { kind: 'fired', context: next, results: resultsInOrder(next) };
}

export function failed(context: ConditionContext, reason: string): Verdict {
  return { kind: 'failed', context: { ...context, status: 'failed', reason }, reason };
}
