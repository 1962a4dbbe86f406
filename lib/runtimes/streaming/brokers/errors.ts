/**
 * Errors of the broker layer. They reuse whiskflow's codes (see lib/errors.ts) so callers test them
 * with `hasErrorCode`, and never carry credentials: URLs are reduced to protocol, host and port.
 */
import { InvalidInputError, WhiskflowError } from '../../../errors';
import type { StreamBackend } from './event-stream';

/** The broker could not be reached or refused an operation; retrying later may work. */
export class StreamUnavailableError extends WhiskflowError {
  constructor(readonly backend: StreamBackend, readonly operation: string, readonly address: string, cause: unknown) {
    super('SERVICE_MISSING', `${backend} at ${address}: ${operation} failed: ${causeMessage(cause)}`,
      { backend, operation, address }, true);
    this.name = 'StreamUnavailableError';
    this.cause = cause;
  }
}

/** A stream URL that names no supported broker or has no host. */
export class InvalidStreamUrlError extends InvalidInputError {
  constructor(readonly url: string, readonly expected: string) {
    super(`event stream URL '${redactUrl(url)}': ${expected}`, { url: redactUrl(url), expected });
    this.name = 'InvalidStreamUrlError';
  }
}

/** An operation on an event stream after close(). */
export class StreamClosedError extends WhiskflowError {
  constructor(readonly backend: StreamBackend, readonly operation: string) {
    super('INVALID_INPUT', `${backend} event stream is closed: cannot ${operation}`, { backend, operation });
    this.name = 'StreamClosedError';
  }
}

/** Keeps protocol, host and port; drops user, password, path and query, which may hold secrets. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(unparseable URL)';
  }
}

function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
