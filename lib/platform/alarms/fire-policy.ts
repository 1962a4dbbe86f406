/**
 * What to do when firing a trigger fails, as provider/lib/utils.js `postTrigger` decides it:
 * client errors other than 408, 409 and 429 mean the trigger is gone or unusable, so the alarm is
 * disabled; anything else is retried up to 10 times, 1 s apart, backing off quadratically while
 * throttled (429).
 */
import type { WhiskflowErrorCode } from '../../errors';

export const RETRY_ATTEMPTS = 10;
export const RETRY_DELAY_MS = 1000;

/** HTTP status of a failed fire: from `statusCode`/`status` (openwhisk client errors) or a whiskflow error code. */
export function statusCodeOf(thrown: unknown): number | undefined {
  if (typeof thrown !== 'object' || thrown === null) return undefined;
  const fields = thrown as { statusCode?: unknown; status?: unknown; code?: unknown };
  for (const candidate of [fields.statusCode, fields.status]) {
    if (typeof candidate === 'number' && candidate >= 100 && candidate < 600) return candidate;
  }
  return typeof fields.code === 'string' ? STATUS_BY_ERROR_CODE[fields.code as WhiskflowErrorCode] : undefined;
}

const STATUS_BY_ERROR_CODE: Partial<Record<WhiskflowErrorCode, number>> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  ENTITY_NOT_FOUND: 404,
  ENTITY_EXISTS: 409,
  STORE_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  THROTTLED: 429,
  STORE_UNAVAILABLE: 503,
  SERVICE_MISSING: 503,
  INTERNAL: 500,
};

/** True for the client errors that retrying cannot fix. */
export function shouldDisableOnStatus(statusCode: number): boolean {
  return statusCode >= 400 && statusCode < 500 && ![408, 409, 429].includes(statusCode);
}

/** Delay before the next retry, given how many attempts so far were throttled (429). */
export function retryDelayMs(throttledCount: number): number {
  return Math.max(RETRY_DELAY_MS, 1000 * throttledCount ** 2);
}
