/** Maps anything thrown inside an action to OpenWhisk's application error shape `{ error }`. */
import { ensureError } from '../../errors';
import type { JsonObject } from '../../model/json';

export function toActionError(thrown: unknown): JsonObject {
  const error = ensureError(thrown);
  const code = (thrown as { code?: unknown }).code;
  return { error: { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) } };
}
