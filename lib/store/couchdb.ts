/**
 * RunStore on CouchDB (and the embedded pouchdb-server) through its HTTP document API
 * (couch-http.ts says why not nano). Conflicts are CouchDB's own 409s; nothing is locked on the
 * client side.
 */
import { CouchHttp, docPath, type QueryParams } from './couch-http';
import { StoreConflictError, WhiskflowError } from '../errors';
import { listRange, readEach, upsertByReplace, withoutMeta, type CreateOutcome, type CreateResult, type ListOptions, type ListedDoc, type NewDoc, type ReplaceResult, type RunStore, type StoreAnswer, type StoreRead, type StoredDoc } from './run-store';
import { isConnectionFailure } from './connection-retry';
import { answerOfRows, bulkRowOutcome, listedRows, liveDocs, liveRevisions, type BulkRow } from './bulk';

export interface CouchDbStoreOptions {
  /** Server URL, credentials may be embedded (`http://user:pass@host:5984`). */
  url: string;
  dbname: string;
}

export class CouchDbRunStore implements RunStore {
  readonly description: string;
  private readonly http: CouchHttp;
  /** The database's path segment. */
  private readonly db: string;
  /** The server has no `_all_docs/queries` (found at the first `readMany`). */
  private withoutQueries = false;

  constructor(private readonly options: CouchDbStoreOptions) {
    this.http = new CouchHttp(options.url);
    this.db = encodeURIComponent(options.dbname);
    this.description = `couchdb ${redactUrl(options.url)}/${options.dbname}`;
  }

  async ensureReady(): Promise<void> {
    try {
      await this.http.request('PUT', this.db);
    } catch (error) {
      const status = statusOf(error);
      // 412: the database exists already (another process created it first).
      if (status !== 412 && status !== 409) throw this.unavailable('create database', error);
    }
  }

  async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    try {
      await this.retrying(() => this.http.request('PUT', docPath(this.options.dbname, id), { body: withoutMeta(body) }));
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409) return 'exists';
      throw this.unavailable(`create ${id}`, error);
    }
  }

  async createMany(docs: readonly NewDoc[]): Promise<CreateResult[]> {
    const rows = await this.bulk(docs.map(({ id, body }) => ({ ...withoutMeta(body), _id: id })), 'create');
    return rows.map((row, index) => (row.conflict ? { id: row.id ?? docs[index]!.id, outcome: 'exists' } : { id: row.id ?? docs[index]!.id, outcome: 'created', rev: row.rev }));
  }

  async replaceMany(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
    const rows = await this.bulk(docs.map((doc) => ({ ...doc })), 'update');
    return rows.map((row, index) => (row.conflict ? { id: row.id ?? docs[index]!._id, conflict: true } : { id: row.id ?? docs[index]!._id, rev: row.rev }));
  }

  async revisions(ids: readonly string[]): Promise<Map<string, string>> {
    try {
      const response = await this.retrying(() => this.http.request<{ rows: AllDocsRow[] }>('POST', `${this.db}/_all_docs`, { body: { keys: [...ids] } }));
      return liveRevisions(response.rows);
    } catch (error) {
      throw this.unavailable(`revisions of ${ids.length}`, error);
    }
  }

  async getMany<T extends object>(ids: readonly string[]): Promise<Map<string, StoredDoc<T>>> {
    try {
      const response = await this.retrying(() => this.http.request<{ rows: AllDocsRow[] }>('POST', `${this.db}/_all_docs`, { query: { include_docs: true }, body: { keys: [...ids] } }));
      return liveDocs<T>(response.rows);
    } catch (error) {
      throw this.unavailable(`read of ${ids.length}`, error);
    }
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    const revisions = await this.revisions(ids);
    if (revisions.size === 0) return 0;
    const rows = await this.bulk([...revisions].map(([id, rev]) => ({ _id: id, _rev: rev, _deleted: true })), 'delete');
    return rows.filter((row) => !row.conflict).length;
  }

  /** `_bulk_docs`: per document `{ok, id, rev}` or `{id, error: "conflict"}`; any other error fails the call. */
  private async bulk(docs: object[], what: string): Promise<BulkRow[]> {
    let response: BulkAnswerRow[];
    try {
      response = await this.retrying(() => this.http.request<BulkAnswerRow[]>('POST', `${this.db}/_bulk_docs`, { body: { docs } }));
    } catch (error) {
      throw this.unavailable(`bulk ${what} of ${docs.length}`, error);
    }
    return response.map((row) => bulkRowOutcome(row, this.description, what));
  }

  async get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    try {
      return await this.retrying(() => this.http.request<StoredDoc<T>>('GET', docPath(this.options.dbname, id)));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.unavailable(`read ${id}`, error);
    }
  }

  async replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    try {
      return (await this.retrying(() => this.http.request<{ rev: string }>('PUT', docPath(this.options.dbname, doc._id), { body: doc }))).rev;
    } catch (error) {
      if (statusOf(error) === 409) throw new StoreConflictError(doc._id, doc._rev);
      throw this.unavailable(`update ${doc._id}`, error);
    }
  }

  async upsert<T extends object>(id: string, body: T): Promise<string> {
    return upsertByReplace(this, id, body);
  }

  async remove(id: string): Promise<boolean> {
    const current = await this.get(id);
    if (!current) return false;
    try {
      await this.retrying(() => this.http.request('DELETE', docPath(this.options.dbname, id), { query: { rev: current._rev } }));
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.unavailable(`delete ${id}`, error);
    }
  }

  async listByPrefix<T extends object>(prefix: string, options: ListOptions = {}): Promise<ListedDoc<T>[]> {
    try {
      const response = await this.retrying(() => this.http.request<{ rows: AllDocsRow[] }>('GET', `${this.db}/_all_docs`, { query: listQuery(prefix, options) }));
      return listedRows<T>(response.rows);
    } catch (error) {
      throw this.unavailable(`list ${prefix}`, error);
    }
  }

  /**
   * `POST /{db}/_all_docs/queries` (CouchDB 2.2+; the embedded server answers it too). A server
   * without it (CouchDB before 2.2, another pouchdb-server) answers 400, 404 or 405: from then on
   * this store sends each read on its own.
   */
  async readMany(reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
    if (this.withoutQueries) return readEach(this, reads);
    let response: { results?: { rows?: AllDocsRow[] }[] };
    try {
      response = await this.retrying(() => this.http.request<{ results?: { rows?: AllDocsRow[] }[] }>('POST', `${this.db}/_all_docs/queries`, { body: { queries: reads.map(allDocsQuery) } }));
    } catch (error) {
      const status = statusOf(error);
      if (status !== undefined && QUERIES_UNSUPPORTED.has(status) && !isMissingDatabase(error)) {
        this.withoutQueries = true;
        return readEach(this, reads);
      }
      throw this.unavailable(`${reads.length} reads`, error);
    }
    const results = response.results ?? [];
    if (results.length !== reads.length) throw this.unavailable(`${reads.length} reads`, new Error(`the server answered ${results.length} of ${reads.length} queries`));
    return reads.map((read, position) => answerOfRows(read, results[position]!.rows ?? []));
  }

  /**
   * Sends a request again after a failure on the way (no answer: the server was restarted under
   * it) or a 500/502/503/504, a few times with a short backoff. Safe for every operation here: reads
   * and CAS replaces are idempotent, and a create repeated after a create that did land answers
   * `exists`, which callers already handle as "someone created it" (the orchestrator recognizes its
   * own claims by their token).
   */
  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const status = statusOf(error);
        if (attempt >= 4 || !(isConnectionFailure(error) || (status !== undefined && TRANSIENT_STATUS.has(status)))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  private unavailable(operation: string, error: unknown): WhiskflowError {
    const status = statusOf(error);
    return new WhiskflowError('STORE_UNAVAILABLE', `${this.description}: ${operation} failed${status ? ` with HTTP ${status}` : ''}: ${(error as Error).message}`,
      { store: this.description, operation, status }, status === undefined || status >= 500 || status === 429);
  }
}

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
/** How a server without `_all_docs/queries` answers it: no such route, or `_all_docs` read as a document id. */
const QUERIES_UNSUPPORTED = new Set([400, 404, 405]);

/** A 404 that names the database, not the endpoint: the reads on their own would fail the same way. */
function isMissingDatabase(error: unknown): boolean {
  const reason = (error as { reason?: unknown; description?: unknown } | null);
  return /database does not exist|no_db_file/i.test(String(reason?.reason ?? reason?.description ?? ''));
}

/** A row of `_all_docs`: a live document, a deleted one (`value.deleted`), or a missing key (`error`). */
type AllDocsRow = { id?: string; key: string; value?: { rev: string; deleted?: boolean }; error?: string; doc?: object | null };
/** A row of `_bulk_docs`' answer. */
type BulkAnswerRow = { id?: string; rev?: string; ok?: boolean; error?: string; reason?: string };

/** `_all_docs` parameters of a listing of `prefix`'s range (CouchDB's names). */
function listQuery(prefix: string, options: ListOptions): QueryParams {
  const { startkey, endkey, inclusiveEnd, descending } = listRange(prefix, options);
  return {
    startkey, endkey, ...(descending ? { descending: true } : {}), ...(inclusiveEnd ? {} : { inclusive_end: false }),
    include_docs: options.includeDocs === true,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.skip ? { skip: options.skip } : {}),
  };
}

/** One query of `_all_docs/queries`: the parameters its own request would send. */
function allDocsQuery(read: StoreRead): object {
  switch (read.kind) {
    case 'list': return listQuery(read.prefix, read.options);
    case 'revisions': return { keys: [...read.ids] };
    case 'docs': return { keys: [...read.ids], include_docs: true };
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Drops user:password from a URL so that it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}
