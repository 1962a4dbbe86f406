/**
 * All-of across stages: each part is a condition over the events of one stage; the whole fires
 * when every part has fired (results: one entry per part, each part's results in order) and fails
 * when any part fails.
 */
import type { Json } from '../../../model/json';
import { failed } from './context';
import type { ConditionContext, Input, StreamCondition, Verdict } from './types';

export type EvaluateAny = (condition: StreamCondition, context: ConditionContext, input: Input) => Verdict;

export function evaluateAllOf(
  condition: Extract<StreamCondition, { kind: 'all-of' }>,
  context: ConditionContext,
  input: Input,
  evaluate: EvaluateAny,
): Verdict {
  const parts = context.parts ?? [];
  let changed = false;
  const nextParts = condition.parts.map((part, index) => {
    const partContext = parts[index];
    if (!partContext) throw new RangeError(`all-of context has no part ${index}`);
    if (input.kind === 'event' && input.observation.stageId !== part.stageId) return partContext;
    const verdict = evaluate(part.condition, partContext, input);
    if (verdict.kind !== 'unchanged') changed = true;
    return verdict.context;
  });
  if (!changed) return { kind: 'unchanged', context };
  const seen = input.kind === 'event' ? [...context.seen, input.observation.id] : context.seen;
  const next: ConditionContext = { ...context, seen, parts: nextParts };
  const failedPart = nextParts.findIndex((part) => part.status === 'failed');
  if (failedPart >= 0) return failed(next, `part ${failedPart} (stage ${condition.parts[failedPart]?.stageId}) failed: ${nextParts[failedPart]?.reason ?? ''}`);
  if (nextParts.every((part) => part.status === 'fired')) {
    const results: Json[] = nextParts.map((part) => Object.keys(part.results).map(Number).sort((a, b) => a - b).map((slot) => part.results[String(slot)] as Json));
    return { kind: 'fired', context: { ...next, status: 'fired' }, results };
  }
  return { kind: 'waiting', context: next };
}
