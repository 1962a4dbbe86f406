/**
 * Evaluating any stream condition: one evaluator per kind in a table typed by the union, so a new
 * kind does not compile until it is handled here. Decided contexts and already counted events
 * short-circuit before any evaluator runs, which is what makes every condition duplicate-proof.
 */
import { evaluateAllOf } from './all-of';
import { hasSeen } from './context';
import { evaluateJoin } from './join';
import { evaluatePredicate } from './predicate';
import { evaluateThreshold } from './threshold';
import { evaluateTimeout } from './timeout';
import type { ConditionContext, Input, StreamCondition, StreamConditionKind, Verdict } from './types';

export type { ConditionContext, Input, Observation, StreamCondition, StreamConditionKind, Verdict } from './types';
export { createContext, resultsInOrder } from './context';

type Evaluators = {
  [K in StreamConditionKind]: (condition: Extract<StreamCondition, { kind: K }>, context: ConditionContext, input: Input) => Verdict;
};

const evaluators: Evaluators = {
  join: evaluateJoin,
  threshold: evaluateThreshold,
  predicate: evaluatePredicate,
  'all-of': (condition, context, input) => evaluateAllOf(condition, context, input, evaluateStreamCondition),
  timeout: (condition, context, input) => evaluateTimeout(condition, context, input, evaluateStreamCondition),
};

/** The verdict of `condition` on `input`; `context` is never modified. */
export function evaluateStreamCondition(condition: StreamCondition, context: ConditionContext, input: Input): Verdict {
  if (context.status !== 'waiting') return { kind: 'unchanged', context };
  if (input.kind === 'event' && hasSeen(context, input.observation.id)) return { kind: 'unchanged', context };
  // The mapped type guarantees the evaluator for `condition.kind` accepts that condition.
  const evaluate = evaluators[condition.kind] as (condition: StreamCondition, context: ConditionContext, input: Input) => Verdict;
  return evaluate(condition, context, input);
}
