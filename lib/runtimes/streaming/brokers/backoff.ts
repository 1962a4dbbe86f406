/** Waiting between retries after a failed handler or broker call, shared by both backends. */

/** Longest wait: long enough not to spin on a poison batch, short enough to notice a recovered broker soon. */
export const MAX_BACKOFF_MS = 5_000;

/** 100 ms doubling per consecutive failure, capped at {@link MAX_BACKOFF_MS}. */
export function backoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(Math.max(failures - 1, 0), 6));
}
