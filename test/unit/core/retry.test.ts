import { retryDelayMs, shouldRetry } from '../../../lib/core/retry';
import type { RetryPolicy } from '../../../lib/model/workflow';

const policy: RetryPolicy = { maxAttempts: 4, backoff: { initialMs: 200, multiplier: 2.5, maxMs: 1000 } };

describe('retry policy', () => {
  it.each([[1, 200], [2, 500], [3, 1000], [4, 1000]])('waits before attempt after %i: %i ms', (attempt, ms) => {
    expect(retryDelayMs(policy, attempt)).toBe(ms);
  });

  it.each<[RetryPolicy | undefined, number, string, boolean]>([
    [undefined, 1, 'E', false],
    [policy, 1, 'E', true],
    [policy, 3, 'E', true],
    [policy, 4, 'E', false],
    [{ ...policy, errors: ['Throttled'] }, 1, 'Throttled', true],
    [{ ...policy, errors: ['Throttled'] }, 1, 'Fatal', false],
  ])('policy %j, attempt %i, error %s: retry %s', (given, attempt, error, expected) => {
    expect(shouldRetry(given, attempt, error)).toBe(expected);
  });
});
