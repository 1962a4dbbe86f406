/** Driving the local platform's stock per-minute invocation quota (120) into its 429s, for throttling tests. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestClient } from '../../../helpers/deployed-platform';

/**
 * Uses up the namespace's invocations of the current minute (stock: 120), so that whatever is
 * invoked next in this minute is refused with 429 — deterministic, unlike hoping a run is fast enough.
 * Returns with at least `leftMs` of the minute to go, so that the test's next steps happen while the
 * quota is still exhausted: on a busy machine the invocations themselves can take long enough to
 * cross into the next minute, whose quota is fresh, and then it exhausts that minute's.
 * Invokes `fixtures/double` (deploy it first); returns how many invocations the last minute admitted.
 */
export async function exhaustInvocationQuota(client: TestClient, leftMs = 20_000): Promise<number> {
  for (;;) {
    if (msLeftInMinute() < leftMs + 10_000) await nextMinute();
    const admitted = await invokeUntilRefused(client);
    if (msLeftInMinute() >= leftMs) return admitted;
  }
}

/**
 * Invokes until the per-minute quota refuses. A 429 for too many activations in flight (stock: 100)
 * is not that: it is not counted against the minute, and once activations finish the invocations
 * are admitted again, so it waits and goes on (with slow containers, 100 non-blocking invokes are
 * easily in flight at once).
 */
async function invokeUntilRefused(client: TestClient): Promise<number> {
  let admitted = 0;
  for (let attempt = 0; attempt < 2_000; attempt++) {
    try {
      await client.actions.invoke({ name: 'fixtures/double', blocking: false, params: { value: 1 } });
      admitted += 1;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 429) throw error;
      if (/in the last minute/.test(String((error as Error).message))) return admitted;
      await sleep(100);
    }
  }
  throw new Error('the platform never refused an invocation for the minute\'s quota: are the stock limits on?');
}

const msLeftInMinute = (): number => 60_000 - (Date.now() % 60_000);

/** Waits until the next minute, when the platform's per-minute counts start again. */
export function nextMinute(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 60_000 - (Date.now() % 60_000) + 100));
}
