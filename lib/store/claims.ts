/**
 * Exactly-once building blocks over a RunStore.
 *
 * `claim` is the create-only write: of any number of concurrent or repeated callers, exactly one
 * gets `won: true`, and every caller gets the document that is stored (the winner's), so losers can
 * carry on idempotently from what the winner decided. `updateWithRetry` is the compare-and-swap loop
 * for the few documents that are changed after creation.
 */
import { hasErrorCode, StoreConflictError } from '../errors';
import { createOne } from './bulk';
import { withoutMeta, type RunStore, type StoredDoc } from './run-store';

export interface Claim<T> {
  won: boolean;
  doc: StoredDoc<T>;
}

export async function claim<T extends object>(store: RunStore, id: string, body: T): Promise<Claim<T>> {
  const outcome = await createOne(store, id, body);
  // The winner knows what it wrote (and its revision): only losers read the winner's document.
  if (outcome.outcome === 'created') return { won: true, doc: { ...(withoutMeta(body) as T), _id: id, _rev: outcome.rev } };
  const doc = await store.get<T>(id);
  // A create that lost to another create is readable afterwards on CouchDB/pouchdb.
  if (!doc) throw new StoreConflictError(id);
  return { won: false, doc };
}

/**
 * Applies `change` to the current document until the write is not in conflict. `change` returns
 * `undefined` to leave the document alone (e.g. someone else already did the update).
 */
export async function updateWithRetry<T extends object>(
  store: RunStore,
  id: string,
  change: (current: StoredDoc<T>) => StoredDoc<T> | undefined,
  maxAttempts = 50,
): Promise<StoredDoc<T> | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.get<T>(id);
    if (!current) return undefined;
    const next = change(current);
    if (!next) return current;
    try {
      const rev = await store.replace(next);
      return { ...next, _rev: rev };
    } catch (error) {
      if (!hasErrorCode(error, 'STORE_CONFLICT') || attempt >= maxAttempts) throw error;
    }
  }
}
