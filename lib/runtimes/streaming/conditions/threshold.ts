/**
 * Threshold (k of N): fires on the k-th distinct successful event, once; later events are absorbed.
 * It fails as soon as so many events failed that k successes can no longer come out of N.
 */
import { counted, fired, failed } from './context';
import type { ConditionContext, Input, StreamCondition, Verdict } from './types';

export function evaluateThreshold(condition: Extract<StreamCondition, { kind: 'threshold' }>, context: ConditionContext, input: Input): Verdict {
  if (input.kind === 'tick') return { kind: 'unchanged', context };
  const { observation } = input;
  if (observation.failed) {
    // Failures are recorded by id only (no result), so they count towards "can k still be reached".
    const next: ConditionContext = { ...context, seen: [...context.seen, observation.id] };
    const successes = Object.keys(next.results).length;
    const failures = next.seen.length - successes;
    if (condition.of - failures < condition.k) return failed(next, `${failures} of ${condition.of} failed; ${condition.k} successes are no longer possible`);
    return { kind: 'waiting', context: next };
  }
  if (observation.slot !== undefined && Object.prototype.hasOwnProperty.call(context.results, String(observation.slot))) {
    return { kind: 'unchanged', context };
  }
  const next = counted(context, observation);
  return Object.keys(next.results).length >= condition.k ? fired(next) : { kind: 'waiting', context: next };
}
