/**
 * Completion policies of map and parallel stages (Step Functions' `ToleratedFailureCount`/
 * `ToleratedFailurePercentage`, plus k-of-n): when a stage of `total` slots is complete, failed,
 * or still pending, from how many slots succeeded and how many failed for good. Pure, and the one
 * place this is decided: the core's joins (streaming) and the native joins both ask it.
 *
 * - `all` (the default): pending until every slot has ended; failed as soon as the failures exceed
 *   the tolerated ones (none by default: fail fast, as a map without a policy always did);
 * - k (`any` is 1, `atLeast: k`): complete at the k-th success; failed once the failures exceed the
 *   tolerated ones or leave fewer than k slots that could still succeed.
 */
import type { CompletionPolicy } from '../model/workflow';

export type CompletionVerdict = 'pending' | 'complete' | 'failed';

export interface SlotCounts {
  total: number;
  succeeded: number;
  failed: number;
}

/** Successes the stage needs: every slot, or k. */
export function requiredSuccesses(policy: CompletionPolicy | undefined): number | 'all' {
  return policy === undefined || policy.required === 'all' ? 'all' : policy.required;
}

/** Failures the stage survives (the lower of the count and the percentage when both are given). */
export function toleratedFailures(policy: CompletionPolicy | undefined, total: number): number {
  const required = requiredSuccesses(policy);
  const bounds: number[] = [];
  if (policy?.toleratedFailures !== undefined) bounds.push(policy.toleratedFailures);
  if (policy?.toleratedFailurePercentage !== undefined) bounds.push(Math.floor((policy.toleratedFailurePercentage * total) / 100));
  if (bounds.length > 0) return Math.min(...bounds);
  return required === 'all' ? 0 : Math.max(0, total - required);
}

/** Why the policy can never hold over `total` slots (k > n), or undefined. */
export function unreachableCompletion(policy: CompletionPolicy | undefined, total: number): string | undefined {
  const required = requiredSuccesses(policy);
  if (required === 'all' || required <= total) return undefined;
  return `completion needs ${required} successes of ${total}`;
}

export function completionVerdict(policy: CompletionPolicy | undefined, counts: SlotCounts): CompletionVerdict {
  const required = requiredSuccesses(policy);
  const tolerated = toleratedFailures(policy, counts.total);
  if (required === 'all') {
    if (counts.failed > tolerated) return 'failed';
    return counts.succeeded + counts.failed >= counts.total ? 'complete' : 'pending';
  }
  if (counts.succeeded >= required) return 'complete';
  if (counts.failed > tolerated || counts.total - counts.failed < required) return 'failed';
  return 'pending';
}

/** Whether a stage keeps its all-or-fail-fast meaning (no policy, or one that says just that). */
export function isPlainAll(policy: CompletionPolicy | undefined): boolean {
  return policy === undefined || (policy.required === 'all' && policy.toleratedFailures === undefined && policy.toleratedFailurePercentage === undefined);
}
