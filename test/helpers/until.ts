/**
 * The test kit's one polling helper: wait for a condition without asserting on time. Every wait of
 * the suites (unit, conformance, integration) goes through `until`, so a hang fails the same way
 * everywhere: naming what never happened.
 */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface UntilOptions {
  /**
   * Gives up after this long, failing with `what` (default 60 s). It only turns a hang into a
   * readable failure; it is far above the time any step needs, so it asserts no speed.
   */
  timeoutMs?: number;
  /** The pause between two probes (default 50 ms). */
  intervalMs?: number;
  /**
   * A probe that throws counts as "not yet" (records written behind may answer errors meanwhile);
   * the last error is named in the failure. Off by default: a throwing probe fails the wait.
   */
  retryErrors?: boolean;
}

/**
 * Calls `probe` (sync or async) until it answers something other than `undefined` or `false`, and
 * returns that; fails naming `what` after the time limit (`timeoutMs`, or the options' `timeoutMs`).
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  limits: number | UntilOptions = {},
): Promise<T> {
  const options = typeof limits === 'number' ? { timeoutMs: limits } : limits;
  const giveUpAt = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (!options.retryErrors) throw error;
      lastError = error;
    }
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting until ${what}${lastError === undefined ? '' : `: ${String(lastError)}`}`);
    await sleep(options.intervalMs ?? 50);
  }
}

/** For in-memory worlds (fakes, the memory broker and store), which answer at once: probe them often. */
export const IN_MEMORY: UntilOptions = { intervalMs: 10 };
