/**
 * The native deployment's event key (lib/events/event-seal.ts) as bound to its orchestrator: what
 * deploy keeps across redeploys, and what the sweep and the CLI sign re-fired outcomes with.
 */
import type { ClientPart } from './client';
import { EVENT_KEY_PARAM, ORCHESTRATOR_ACTION } from './names';
import { statusOf } from './status';

/** Reading the deployed orchestrator's parameters. */
export type ActionReader = ClientPart<{ actions: 'get' }>;

/** The key bound to the orchestrator; undefined when the runtime is not deployed (404) or has none. */
export async function readEventKey(client: ActionReader): Promise<string | undefined> {
  try {
    const action = await client.actions.get({ name: ORCHESTRATOR_ACTION });
    const value = action.parameters?.find((parameter) => parameter.key === EVENT_KEY_PARAM)?.value;
    return typeof value === 'string' && value !== '' ? value : undefined;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
