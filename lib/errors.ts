/**
 * Typed errors shared by every room of whiskflow.
 *
 * Errors are told apart by `code` (and `name`), never by bare `instanceof`: webpack bundles and Jest
 * module registries load this file more than once, which breaks prototype identity.
 */
export type WhiskflowErrorCode =
  | 'INVALID_WORKFLOW'
  | 'INVALID_INPUT'
  | 'ENTITY_NOT_FOUND'
  | 'ENTITY_EXISTS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'THROTTLED'
  | 'STORE_CONFLICT'
  | 'STORE_UNAVAILABLE'
  | 'ACTION_FAILED'
  | 'TIMEOUT'
  | 'SERVICE_MISSING'
  | 'INTERNAL';

export class WhiskflowError extends Error {
  readonly code: WhiskflowErrorCode;
  readonly details: Record<string, unknown>;
  /** Whether repeating the same operation later may succeed. */
  readonly retryable: boolean;

  constructor(code: WhiskflowErrorCode, message: string, details: Record<string, unknown> = {}, retryable = false) {
    super(message);
    this.name = 'WhiskflowError';
    this.code = code;
    this.details = details;
    this.retryable = retryable;
  }
}

export class InvalidWorkflowError extends WhiskflowError {
  constructor(readonly path: string, readonly value: unknown, readonly expected: string) {
    super('INVALID_WORKFLOW', `workflow ${path || '/'}: ${expected} (got ${describe(value)})`, { path, value, expected });
    this.name = 'InvalidWorkflowError';
  }
}

export class InvalidInputError extends WhiskflowError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_INPUT', message, details);
    this.name = 'InvalidInputError';
  }
}

export class EntityNotFoundError extends WhiskflowError {
  constructor(readonly kind: string, readonly entity: string) {
    super('ENTITY_NOT_FOUND', `The requested ${kind} '${entity}' does not exist.`, { kind, entity });
    this.name = 'EntityNotFoundError';
  }
}

export class ThrottledError extends WhiskflowError {
  constructor(message: string, readonly retryAfterMs: number) {
    super('THROTTLED', message, { retryAfterMs }, true);
    this.name = 'ThrottledError';
  }
}

export class StoreConflictError extends WhiskflowError {
  constructor(readonly docId: string, readonly rev?: string) {
    super('STORE_CONFLICT', `document '${docId}' was changed by another writer${rev ? ` (rev ${rev})` : ''}`, { docId, rev }, true);
    this.name = 'StoreConflictError';
  }
}

export class ServiceMissingError extends WhiskflowError {
  constructor(readonly service: string, readonly hint: string) {
    super('SERVICE_MISSING', `${service} is not reachable: ${hint}`, { service });
    this.name = 'ServiceMissingError';
  }
}

/** Narrow anything thrown into an Error, keeping the original as `cause`. */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown && typeof (thrown as { message: unknown }).message === 'string') {
    const error = new Error((thrown as { message: string }).message, { cause: thrown });
    return error;
  }
  return new Error(typeof thrown === 'string' ? thrown : describe(thrown), { cause: thrown });
}

/** True when `thrown` is a whiskflow error with the given code, whichever copy of this module made it. */
export function hasErrorCode(thrown: unknown, code: WhiskflowErrorCode): thrown is WhiskflowError {
  return typeof thrown === 'object' && thrown !== null && (thrown as { code?: unknown }).code === code
    && typeof (thrown as { details?: unknown }).details === 'object';
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}
