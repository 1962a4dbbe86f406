/**
 * Timeout: wraps a condition; while the deadline has not passed it behaves as the inner condition,
 * and the first tick at or after the deadline decides: `fire` fires with whatever results arrived
 * (e.g. "the first results within 5 s"), `fail` fails (e.g. "a task never reported").
 */
import { failed, resultsInOrder } from './context';
import type { EvaluateAny } from './all-of';
import type { ConditionContext, Input, StreamCondition, Verdict } from './types';

export function evaluateTimeout(
  condition: Extract<StreamCondition, { kind: 'timeout' }>,
  context: ConditionContext,
  input: Input,
  evaluate: EvaluateAny,
): Verdict {
  const inner = context.parts?.[0];
  if (!inner || context.deadline === undefined) throw new RangeError('timeout context has no inner condition or deadline');
  if (input.kind === 'tick') {
    if (Date.parse(input.time) < Date.parse(context.deadline)) return { kind: 'unchanged', context };
    if (condition.onTimeout === 'fail') return failed(context, `no decision within ${condition.afterMs} ms`);
    const next: ConditionContext = { ...context, status: 'fired', results: inner.results };
    return { kind: 'fired', context: next, results: resultsInOrder(next) };
  }
  const verdict = evaluate(condition.condition, inner, input);
  if (verdict.kind === 'unchanged') return { kind: 'unchanged', context };
  const next: ConditionContext = {
    ...context,
    seen: [...context.seen, input.observation.id],
    parts: [verdict.context],
    results: verdict.context.results,
    status: verdict.context.status,
  };
  switch (verdict.kind) {
    case 'waiting':
      return { kind: 'waiting', context: next };
    case 'fired':
      return { kind: 'fired', context: next, results: verdict.results };
    case 'failed':
      return { kind: 'failed', context: { ...next, reason: verdict.reason }, reason: verdict.reason };
    default: {
      const unknown: never = verdict;
      return unknown;
    }
  }
}
