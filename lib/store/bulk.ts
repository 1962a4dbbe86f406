/**
 * Bulk create-only writes and bulk compare-and-swap replaces over any RunStore: one `_bulk_docs`
 * request where the store offers it (CouchDB, Cloudant, memory), one request per document otherwise.
 *
 * Why a bulk create keeps the create-only guarantee: CouchDB treats every document of a
 * `_bulk_docs` request on its own (there is no all-or-nothing mode since 2.0). A document without
 * `_rev` whose id exists answers `{ id, error: "conflict" }` for that document alone, exactly like a
 * PUT of it would answer 409, and the other documents are written or refused independently. So of
 * any number of concurrent bulk or single creates of one id, exactly one is told it created it.
 */
import { hasErrorCode } from '../errors';
import type { CreateResult, NewDoc, ReplaceResult, RunStore, StoredDoc } from './run-store';

/** Largest number of documents sent in one request (bounds the request size and the server's work per request). */
export const BULK_CHUNK = 500;

export async function createAll(store: RunStore, docs: readonly NewDoc[]): Promise<CreateResult[]> {
  if (docs.length === 0) return [];
  if (store.createMany) {
    const results: CreateResult[] = [];
    for (let from = 0; from < docs.length; from += BULK_CHUNK) results.push(...await store.createMany(docs.slice(from, from + BULK_CHUNK)));
    return results;
  }
  return Promise.all(docs.map(async ({ id, body }): Promise<CreateResult> => {
    if (await store.createOnly(id, body) === 'exists') return { id, outcome: 'exists' };
    const stored = await store.get(id);
    return stored ? { id, outcome: 'created', rev: stored._rev } : { id, outcome: 'exists' };
  }));
}

/** One create-only write that also tells the winner its revision. */
export async function createOne(store: RunStore, id: string, body: object): Promise<CreateResult> {
  return (await createAll(store, [{ id, body }]))[0]!;
}

export async function replaceAll(store: RunStore, docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
  if (docs.length === 0) return [];
  if (store.replaceMany) {
    const results: ReplaceResult[] = [];
    for (let from = 0; from < docs.length; from += BULK_CHUNK) results.push(...await store.replaceMany(docs.slice(from, from + BULK_CHUNK)));
    return results;
  }
  return Promise.all(docs.map(async (doc): Promise<ReplaceResult> => {
    try {
      return { id: doc._id, rev: await store.replace(doc) };
    } catch (error) {
      if (hasErrorCode(error, 'STORE_CONFLICT')) return { id: doc._id, conflict: true };
      throw error;
    }
  }));
}
