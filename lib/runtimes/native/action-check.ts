/**
 * Can the task conductor's continuation be run? When a conductor action names a component the
 * platform cannot resolve (missing, not permitted, its package deleted), OpenWhisk ends the
 * composition with "Failed to resolve action ..." and does NOT run the conductor again
 * (apache/openwhisk ContainerProxy/ActionsApi conductor loop), so no completion would ever be fired
 * and the run would wait until a sweep. The conductor therefore looks the action up itself before it
 * returns the continuation, and reports a failed attempt at once when the platform refuses it.
 *
 * Cost: one `GET` of the action without its code per action and container every CACHE_MS; a
 * component deleted within that window is still found by the sweep (the composition's own error).
 */
import { WhiskflowError } from '../../errors';
import type { JsonObject } from '../../model/json';
import type { ActionLookupClient } from '../../openwhisk/client';

export type Invocability = { ok: true } | { ok: false; error: JsonObject };

/** How long a found action is taken as invocable without asking again. */
const CACHE_MS = 10_000;
const found = new Map<string, number>();

/** Error names a missing or forbidden component fails its attempt with (retry/catch match them). */
export const ACTION_NOT_FOUND = 'whiskflow.ActionNotFound';
export const ACTION_NOT_PERMITTED = 'whiskflow.ActionNotPermitted';

/**
 * Whether the platform knows `action` (fully qualified) for this caller. Only a definite refusal
 * (404, 401/403) says no; anything else (throttled, the controller unwell) leaves the decision to
 * the platform's own resolution.
 */
export async function checkInvocable(client: ActionLookupClient, action: string, now: () => number = Date.now): Promise<Invocability> {
  const checkedAt = found.get(action);
  if (checkedAt !== undefined && now() - checkedAt < CACHE_MS) return { ok: true };
  try {
    await client.actions.get({ name: action, code: false });
    found.set(action, now());
    return { ok: true };
  } catch (thrown) {
    const error = refusalOf(thrown, action);
    if (!error) return { ok: true };
    found.delete(action);
    return { ok: false, error };
  }
}

/** The task error of a definite refusal of `action` by the platform (404, 401/403); undefined for anything else. */
export function refusalOf(thrown: unknown, action: string): JsonObject | undefined {
  const status = (thrown as { statusCode?: unknown } | null)?.statusCode;
  if (status !== 404 && status !== 403 && status !== 401) return undefined;
  return {
    error: status === 404 ? ACTION_NOT_FOUND : ACTION_NOT_PERMITTED,
    cause: `action ${action} cannot be invoked: ${platformMessage(thrown)} (HTTP ${String(status)})`,
    action,
  };
}

/**
 * A self-reporting action (invoked by the orchestrator itself, no conductor) that the platform
 * refuses: the orchestrator fails the attempt with `taskError` at once (its invoke got the answer).
 */
export class ActionUnavailableError extends WhiskflowError {
  constructor(readonly taskError: JsonObject) {
    super(taskError.error === ACTION_NOT_FOUND ? 'ENTITY_NOT_FOUND' : 'FORBIDDEN', String(taskError.cause), { action: taskError.action });
    this.name = 'ActionUnavailableError';
  }
}

/** The platform's own text (`{ error, code }` body), not the client's wrapping of it. */
function platformMessage(thrown: unknown): string {
  const body = (thrown as { error?: unknown }).error;
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') return (body as { error: string }).error;
  return thrown instanceof Error ? thrown.message : String(thrown);
}
