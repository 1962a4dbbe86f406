/** Retry decisions: pure arithmetic over the policy, no clocks and no jitter (runs must replay). */
import type { RetryPolicy } from '../model/workflow';

/** Whether a failed `attempt` (1-based) with error `errorName` gets another attempt. */
export function shouldRetry(policy: RetryPolicy | undefined, attempt: number, errorName: string): boolean {
  if (!policy || attempt >= policy.maxAttempts) return false;
  return policy.errors === undefined || policy.errors.includes(errorName);
}

/** Wait before attempt `attempt + 1`: `min(initialMs * multiplier^(attempt-1), maxMs)`. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const { initialMs, multiplier, maxMs } = policy.backoff;
  return Math.min(Math.round(initialMs * multiplier ** (attempt - 1)), maxMs);
}
