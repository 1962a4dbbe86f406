/**
 * Calls to the platform that survive throttling: 429 (and the transient 503/504 and connection
 * resets) are retried with capped exponential backoff plus jitter until a deadline. OpenWhisk's 429
 * carries no Retry-After, so the backoff grows towards the one-minute window of its rate limit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ThrottledError } from '../errors';

export interface RetryOptions {
  /** Give up (throw ThrottledError) when the next wait would pass this epoch ms. */
  deadline: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

// Not 502: OpenWhisk uses it for an application error of a blocking invoke, which a retry repeats.
const TRANSIENT_STATUS = new Set([429, 503, 504]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET']);

export function isTransient(error: unknown): boolean {
  const candidate = error as { statusCode?: unknown; code?: unknown; cause?: unknown; error?: { code?: unknown } } | null;
  if (typeof candidate?.statusCode === 'number') return TRANSIENT_STATUS.has(candidate.statusCode);
  const code = candidate?.code ?? candidate?.error?.code ?? (candidate?.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return TRANSIENT_CODES.has(code);
  // The openwhisk client keeps only the message of a failed connection ("Unknown Error From API:
  // read ECONNRESET"): no status, no code.
  const message = error instanceof Error ? error.message : '';
  return message.startsWith(UNKNOWN_API_ERROR) && [...TRANSIENT_CODES].some((transient) => message.includes(transient));
}

const UNKNOWN_API_ERROR = 'Unknown Error From API:';

export async function withThrottleRetry<T>(operation: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const initial = options.initialDelayMs ?? 250;
  const cap = options.maxDelayMs ?? 15_000;
  const pause = options.sleep ?? ((ms: number) => sleep(ms));
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error)) throw error;
      const delay = Math.min(cap, initial * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (Date.now() + delay > options.deadline) {
        throw new ThrottledError(`${operation}: still throttled or unavailable after ${attempt + 1} attempts`, delay);
      }
      await pause(delay);
    }
  }
}
