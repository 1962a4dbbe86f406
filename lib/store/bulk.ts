/**
 * Bulk create-only writes, bulk compare-and-swap replaces and bulk deletes over any RunStore: one
 * `_bulk_docs` request where the store offers it (CouchDB, Cloudant, memory), one request per document otherwise.
 *
 * Why a bulk create keeps the create-only guarantee: CouchDB treats every document of a
 * `_bulk_docs` request on its own (there is no all-or-nothing mode since 2.0). A document without
 * `_rev` whose id exists answers `{ id, error: "conflict" }` for that document alone, exactly like a
 * PUT of it would answer 409, and the other documents are written or refused independently. So of
 * any number of concurrent bulk or single creates of one id, exactly one is told it created it.
 */
import { WhiskflowError, hasErrorCode } from '../errors';
import { forEachLimited } from '../limited';
import type { CreateResult, ListedDoc, NewDoc, ReplaceResult, RunStore, StoreAnswer, StoreRead, StoredDoc } from './run-store';

/** One row of a `_bulk_docs` answer: the document's new revision, or a conflict (its id exists / its `_rev` is stale). */
export type BulkRow = { id?: string; conflict: true } | { id?: string; conflict?: false; rev: string };

/**
 * Reads a `_bulk_docs` answer row; CouchDB and Cloudant answer alike (`{ok, id, rev}` or
 * `{id, error: "conflict"}`). Any other per-document error fails the whole call: the store is unwell.
 */
export function bulkRowOutcome(row: { id?: string; rev?: string; error?: string; reason?: string }, store: string, what: string): BulkRow {
  if (row.error === 'conflict') return { id: row.id, conflict: true };
  if (row.error || !row.rev) {
    throw new WhiskflowError('STORE_UNAVAILABLE', `${store}: bulk ${what} of ${row.id} failed: ${row.error} ${row.reason ?? ''}`.trim(),
      { store, operation: `bulk ${what}`, docId: row.id, error: row.error }, false);
  }
  return { id: row.id, rev: row.rev };
}

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

/** One row of an `_all_docs` answer (by keys or by range), as CouchDB and Cloudant answer it (the Cloudant SDK types it loosely). */
interface RevisionRow {
  id?: string;
  key?: string;
  error?: string;
  value?: { rev?: string; deleted?: boolean } | null;
  doc?: object | null;
}

/** The documents of an `_all_docs?keys=&include_docs=true` answer that exist (a missing key answers `not_found`, a deleted one `value.deleted` and `doc: null`). */
export function liveDocs<T extends object>(rows: readonly RevisionRow[]): Map<string, StoredDoc<T>> {
  const docs = new Map<string, StoredDoc<T>>();
  for (const row of rows) {
    const id = row.id ?? row.key;
    if (id && !row.error && row.doc && !row.value?.deleted) docs.set(id, row.doc as StoredDoc<T>);
  }
  return docs;
}

/** The revisions of the documents that exist: a missing key answers `error: "not_found"`, a deleted one `value.deleted`. */
export function liveRevisions(rows: readonly RevisionRow[]): Map<string, string> {
  const revisions = new Map<string, string>();
  for (const row of rows) {
    const id = row.id ?? row.key;
    if (id && !row.error && row.value?.rev && !row.value.deleted) revisions.set(id, row.value.rev);
  }
  return revisions;
}

/** The rows of a range listing as `listByPrefix` answers them. */
export function listedRows<T extends object>(rows: readonly RevisionRow[]): ListedDoc<T>[] {
  return rows.map((row) => ({ id: row.id ?? '', ...(row.doc ? { doc: row.doc as unknown as StoredDoc<T> } : {}) }));
}

/** The answer to `read` from the rows of its `_all_docs` query (one of `_all_docs/queries`), as its own method gives it. */
export function answerOfRows(read: StoreRead, rows: readonly RevisionRow[]): StoreAnswer {
  switch (read.kind) {
    case 'list': return { kind: 'list', rows: listedRows(rows) };
    case 'revisions': return { kind: 'revisions', revisions: liveRevisions(rows) };
    case 'docs': return { kind: 'docs', docs: liveDocs(rows) };
  }
}

/** `remove`s in flight at a time where the store has no `removeMany`. */
const REMOVE_CONCURRENCY = 8;

/**
 * Deletes those of `ids` that exist (as `remove` would), in bulk where the store can; returns how
 * many were deleted. For garbage: a document recreated meanwhile may survive.
 */
export async function removeAll(store: RunStore, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  let removed = 0;
  if (store.removeMany) {
    for (let from = 0; from < ids.length; from += BULK_CHUNK) removed += await store.removeMany(ids.slice(from, from + BULK_CHUNK));
    return removed;
  }
  await forEachLimited(ids, REMOVE_CONCURRENCY, async (id) => {
    if (await store.remove(id)) removed += 1;
  });
  return removed;
}
