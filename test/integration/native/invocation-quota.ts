/** Driving the local platform's stock per-minute invocation quota (120) into its 429s, for throttling tests. */
import type { TestClient } from './deployed-platform';

/**
 * Uses up the namespace's invocations of the current minute (stock: 120), so that whatever is
 * invoked next in this minute is refused with 429 — deterministic, unlike hoping a run is fast enough.
 * Starts early in a minute so that the test's next steps happen while the quota is still exhausted.
 * Invokes `fixtures/double` (deploy it first); returns how many invocations were admitted.
 */
export async function exhaustInvocationQuota(client: TestClient): Promise<number> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
  for (let count = 0; count < 500; count++) {
    try {
      await client.actions.invoke({ name: 'fixtures/double', blocking: false, params: { value: 1 } });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 429) return count;
      throw error;
    }
  }
  throw new Error('the platform never answered 429: are the stock limits on?');
}

/** Waits until the next minute, when the platform's per-minute counts start again. */
export function nextMinute(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 100));
}
