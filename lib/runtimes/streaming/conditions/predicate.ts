/**
 * Predicate over event data: fires on the first event whose data satisfies the condition. The
 * conditions are the workflow model's choice conditions (`lib/conditions/choice.ts`), so a
 * predicate is written the same way in a trigger as in a choice stage.
 */
import { evaluateCondition } from '../../../conditions/choice';
import { fired } from './context';
import type { ConditionContext, Input, StreamCondition, Verdict } from './types';

export function evaluatePredicate(condition: Extract<StreamCondition, { kind: 'predicate' }>, context: ConditionContext, input: Input): Verdict {
  if (input.kind === 'tick') return { kind: 'unchanged', context };
  const { observation } = input;
  const next: ConditionContext = { ...context, seen: [...context.seen, observation.id] };
  if (observation.failed || !evaluateCondition(condition.when, observation.data)) return { kind: 'waiting', context: next };
  return fired({ ...next, results: { '0': observation.data } });
}
