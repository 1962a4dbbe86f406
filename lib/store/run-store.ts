/**
 * The one interface the native orchestrator uses to keep run state.
 *
 * It is deliberately the subset of CouchDB's document model that exactly-once transitions need:
 * a create-only write (PUT of a fixed id without `_rev`: exactly one writer wins, the others get a
 * conflict), a compare-and-swap replace (PUT with the `_rev` that was read), reads, and listings of a
 * key range (`_all_docs` with start/end keys). CouchDB (couch-http.ts), Cloudant and an in-memory
 * map implement it; the embedded pouchdb-server is CouchDB as far as this interface is concerned.
 */

/** A stored document: CouchDB's `_id` and `_rev` next to the body. */
export type StoredDoc<T> = T & { _id: string; _rev: string };

/** Outcome of a create-only write: `created` for the single winner, `exists` for everyone else. */
export type CreateOutcome = 'created' | 'exists';

export interface ListOptions {
  /** Load document bodies too (`include_docs=true`); ids only otherwise. */
  includeDocs?: boolean;
  limit?: number;
  /** Rows to skip from the start of the range. */
  skip?: number;
  /** Newest (highest key) first. */
  descending?: boolean;
  /**
   * An id inside the prefix's range where the listing starts (inclusive), in the listing's
   * direction: a page of a long range by key (CouchDB `startkey`), not by `skip`, which the server
   * walks row by row.
   */
  startKey?: string;
  /** An id inside the prefix's range the listing stops before (exclusive; CouchDB `endkey` with `inclusive_end=false`). */
  endKey?: string;
}

/** The key range of a listing: CouchDB's `startkey`, `endkey`, `inclusive_end`, `descending`. */
export function listRange(prefix: string, options: ListOptions): { startkey: string; endkey: string; inclusiveEnd: boolean; descending: boolean } {
  const descending = options.descending === true;
  const startkey = options.startKey ?? (descending ? prefixEnd(prefix) : prefix);
  const endkey = options.endKey ?? (descending ? prefix : prefixEnd(prefix));
  return { startkey, endkey, inclusiveEnd: options.endKey === undefined, descending };
}

/** Whether `id` lies in a listing's key range (the prefix and `startKey`/`endKey`), for stores that list from memory. */
export function inListRange(id: string, prefix: string, options: ListOptions): boolean {
  if (!id.startsWith(prefix)) return false;
  const { startKey, endKey } = options;
  if (options.descending) return (startKey === undefined || id <= startKey) && (endKey === undefined || id > endKey);
  return (startKey === undefined || id >= startKey) && (endKey === undefined || id < endKey);
}

export interface ListedDoc<T> {
  id: string;
  doc?: StoredDoc<T>;
}

/** A document to create with a create-only write. */
export interface NewDoc {
  id: string;
  body: object;
}

/** Per-document outcome of a bulk create: the winner learns its revision, so it can replace without a read. */
export type CreateResult = { id: string; outcome: 'created'; rev: string } | { id: string; outcome: 'exists' };

/** Per-document outcome of a bulk compare-and-swap replace. */
export type ReplaceResult = { id: string; rev: string } | { id: string; conflict: true };

export interface RunStore {
  /** Human-readable description without credentials, for logs and errors. */
  readonly description: string;
  /** Creates the database when it is missing; safe to call many times. */
  ensureReady(): Promise<void>;
  /**
   * Writes `body` under `id` only if no document has that id yet. `_id`/`_rev` in `body` are
   * ignored (a copy of another document must not turn the create into an update).
   */
  createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome>;
  get<T extends object>(id: string): Promise<StoredDoc<T> | undefined>;
  /**
   * Replaces a document read earlier; throws `StoreConflictError` when someone else changed it
   * since (its `_rev` no longer matches). Returns the new revision.
   */
  replace<T extends object>(doc: StoredDoc<T>): Promise<string>;
  /** Writes a document whatever its current revision (last writer wins); for definitions, not run state. */
  upsert<T extends object>(id: string, body: T): Promise<string>;
  remove(id: string): Promise<boolean>;
  /** Documents whose id starts with `prefix`, in id order. */
  listByPrefix<T extends object>(prefix: string, options?: ListOptions): Promise<ListedDoc<T>[]>;
  /**
   * Several create-only writes in one request (CouchDB `_bulk_docs` without `_rev`s): each document
   * is created, or reported `exists`, exactly as `createOnly` would; the documents are independent
   * (no all-or-nothing). Optional: `lib/store/bulk.ts` falls back to one `createOnly` per document.
   */
  createMany?(docs: readonly NewDoc[]): Promise<CreateResult[]>;
  /**
   * Several `replace`s in one request (`_bulk_docs` with the `_rev`s read or created earlier); a
   * document whose revision moved on is reported as a conflict instead of failing the others.
   */
  replaceMany?(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]>;
  /**
   * The current revision of each of `ids` that exists (deleted documents are absent), in one request
   * (`_all_docs` with `keys`): which of many documents exist, without a read per document.
   */
  revisions?(ids: readonly string[]): Promise<Map<string, string>>;
  /**
   * The documents of `ids` that exist (deleted ones are absent), in one request (`_all_docs` with
   * `keys` and `include_docs`): reads of documents in different key ranges in one round trip, with
   * the read-your-writes of a `get` per id. Optional: without it, the native join reads as before
   * (a listing and a `get`).
   */
  getMany?<T extends object>(ids: readonly string[]): Promise<Map<string, StoredDoc<T>>>;
  /**
   * Deletes those of `ids` that exist, whatever their revision, in a few requests (`_all_docs` with
   * `keys` for their revisions, then `_bulk_docs` with `_deleted: true`), like `remove` per id; one
   * changed between the two requests is left in place. Returns how many were deleted. Optional:
   * `removeAll` in `lib/store/bulk.ts` falls back to `remove`, a few at a time.
   */
  removeMany?(ids: readonly string[]): Promise<number>;
  /**
   * Several reads in one request (CouchDB 2.2+ and Cloudant `POST /{db}/_all_docs/queries`), each
   * answered exactly as its own `listByPrefix`, `revisions` or `getMany` would be, in order. For
   * group commit (group-commit.ts): the distinct reads a container's activations ask for at once.
   * Optional: without it, each read is its own request.
   */
  readMany?(reads: readonly StoreRead[]): Promise<StoreAnswer[]>;
}

/** One read of a `readMany`. */
export type StoreRead =
  | { kind: 'list'; prefix: string; options: ListOptions }
  | { kind: 'revisions'; ids: readonly string[] }
  | { kind: 'docs'; ids: readonly string[] };

/** The answer to a `StoreRead`, as its own method gives it. */
export type StoreAnswer =
  | { kind: 'list'; rows: ListedDoc<object>[] }
  | { kind: 'revisions'; revisions: Map<string, string> }
  | { kind: 'docs'; docs: Map<string, StoredDoc<object>> };

/** Answers `reads` one request each, side by side: `readMany` for a store (or a server) without a batch endpoint. */
export function readEach(store: Pick<RunStore, 'listByPrefix' | 'revisions' | 'getMany'>, reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
  return Promise.all(reads.map(async (read): Promise<StoreAnswer> => {
    switch (read.kind) {
      case 'list': return { kind: 'list', rows: await store.listByPrefix(read.prefix, read.options) };
      case 'revisions': return { kind: 'revisions', revisions: await store.revisions!(read.ids) };
      case 'docs': return { kind: 'docs', docs: await store.getMany!(read.ids) };
    }
  }));
}

/** Upper bound of a key range that holds every id starting with `prefix`. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\ufff0`;
}

/** The body of a document without CouchDB's `_id` and `_rev`. */
export function withoutMeta<T extends object>(doc: T): Omit<T, '_id' | '_rev'> {
  // Most bodies have neither field: no copy then (this runs for every document written).
  if (!('_id' in doc) && !('_rev' in doc)) return doc;
  const { _id: _ignoredId, _rev: _ignoredRev, ...body } = doc as T & { _id?: unknown; _rev?: unknown };
  return body;
}

/**
 * Last-writer-wins write built from `get` + `replace`: re-reads and retries while another writer
 * keeps changing the document. Shared by the stores whose server only offers compare-and-swap.
 */
export async function upsertByReplace<T extends object>(store: Pick<RunStore, 'get' | 'replace'>, id: string, body: T): Promise<string> {
  for (;;) {
    const current = await store.get<T>(id);
    try {
      return await store.replace({ ...body, _id: id, ...(current ? { _rev: current._rev } : {}) } as StoredDoc<T>);
    } catch (error) {
      if ((error as { code?: string }).code !== 'STORE_CONFLICT') throw error;
    }
  }
}
