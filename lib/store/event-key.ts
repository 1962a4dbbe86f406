/**
 * The streaming model's event key (lib/events/event-seal.ts), kept in the run store: every engine
 * of the deployment reads the same one, and only what holds the store's credentials can read it.
 * The first engine to start creates it (create-only, so concurrent first starts agree on one key).
 * The native model's key is bound to its actions instead (lib/runtimes/native/event-auth.ts).
 */
import { newEventKey } from '../events/event-seal';
import { StoreConflictError } from '../errors';
import type { RunStore } from './run-store';

export const EVENT_KEY_DOC = 'config/event-key';

interface EventKeyDoc { type: 'event-key'; key: string; createdAt: number }

export async function loadEventKey(store: RunStore): Promise<string> {
  const known = await store.get<EventKeyDoc>(EVENT_KEY_DOC);
  if (known) return known.key;
  const made: EventKeyDoc = { type: 'event-key', key: newEventKey(), createdAt: Date.now() };
  if ((await store.createOnly(EVENT_KEY_DOC, made)) === 'created') return made.key;
  const winner = await store.get<EventKeyDoc>(EVENT_KEY_DOC);
  if (!winner) throw new StoreConflictError(EVENT_KEY_DOC);
  return winner.key;
}
