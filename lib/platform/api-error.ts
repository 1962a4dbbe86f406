/**
 * Errors the REST API answers with: a whiskflow error code plus the HTTP status OpenWhisk uses for it.
 * The HTTP layer turns them into `{ error, code }` bodies; everything else becomes a 500.
 */
import { WhiskflowError, WhiskflowErrorCode } from '../errors';
import { Messages } from './messages';

export class PlatformApiError extends WhiskflowError {
  constructor(readonly status: number, code: WhiskflowErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details, status === 429 || status === 503);
    this.name = 'PlatformApiError';
  }
}

export const badRequest = (message: string, details: Record<string, unknown> = {}) =>
  new PlatformApiError(400, 'INVALID_INPUT', message, details);
export const malformed = (detail: string, details: Record<string, unknown> = {}) =>
  new PlatformApiError(400, 'INVALID_INPUT', Messages.malformed(detail), details);
export const unauthorized = () => new PlatformApiError(401, 'UNAUTHORIZED', Messages.authenticationInvalid);
export const forbidden = (resource?: string) => new PlatformApiError(403, 'FORBIDDEN', Messages.notAuthorizedtoOperateOnResource, { resource });
export const notFound = (resource?: string, message: string = Messages.resourceDoesNotExist) =>
  new PlatformApiError(404, 'ENTITY_NOT_FOUND', message, { resource });
export const conflict = (message: string = Messages.entityExists, details: Record<string, unknown> = {}) =>
  new PlatformApiError(409, 'ENTITY_EXISTS', message, details);
export const tooLarge = (field: string, size: number, allowed: number) =>
  new PlatformApiError(413, 'PAYLOAD_TOO_LARGE', Messages.entityTooBig(field, size, allowed), { size, allowed });
export const methodNotAllowed = (allowed: string[]) =>
  new PlatformApiError(405, 'INVALID_INPUT', `${Messages.methodNotAllowed}${allowed.join(', ')}.`, { allowed });

/** HTTP status for a thrown error: the API's own status, else one derived from the whiskflow code. */
export function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 600) return status;
    const code = (error as { code?: unknown }).code;
    switch (code) {
      case 'INVALID_INPUT':
      case 'INVALID_WORKFLOW':
        return 400;
      case 'UNAUTHORIZED': return 401;
      case 'FORBIDDEN': return 403;
      case 'ENTITY_NOT_FOUND': return 404;
      case 'ENTITY_EXISTS':
      case 'STORE_CONFLICT':
        return 409;
      case 'PAYLOAD_TOO_LARGE': return 413;
      case 'THROTTLED': return 429;
      case 'STORE_UNAVAILABLE':
      case 'SERVICE_MISSING':
        return 503;
      default: return 500;
    }
  }
  return 500;
}
