/**
 * RunStore on CouchDB (and the embedded pouchdb-server) through `nano`.
 * Conflicts are CouchDB's own 409s; nothing is locked on the client side.
 */
import nano from 'nano';
import { StoreConflictError, WhiskflowError } from '../errors';
import { prefixEnd, upsertByReplace, withoutMeta, type CreateOutcome, type ListOptions, type ListedDoc, type RunStore, type StoredDoc } from './run-store';

export interface CouchDbStoreOptions {
  /** Server URL, credentials may be embedded (`http://user:pass@host:5984`). */
  url: string;
  dbname: string;
}

export class CouchDbRunStore implements RunStore {
  readonly description: string;
  private readonly server: nano.ServerScope;
  private readonly db: nano.DocumentScope<object>;

  constructor(private readonly options: CouchDbStoreOptions) {
    this.server = nano(options.url);
    this.db = this.server.db.use(options.dbname);
    this.description = `couchdb ${redactUrl(options.url)}/${options.dbname}`;
  }

  async ensureReady(): Promise<void> {
    try {
      await this.server.db.create(this.options.dbname);
    } catch (error) {
      const status = statusOf(error);
      // 412: the database exists already (another process created it first).
      if (status !== 412 && status !== 409) throw this.unavailable('create database', error);
    }
  }

  async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    try {
      await this.db.insert({ ...withoutMeta(body), _id: id });
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409) return 'exists';
      throw this.unavailable(`create ${id}`, error);
    }
  }

  async get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    try {
      return (await this.db.get(id)) as unknown as StoredDoc<T>;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.unavailable(`read ${id}`, error);
    }
  }

  async replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    try {
      return (await this.db.insert(doc)).rev;
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
      await this.db.destroy(id, current._rev);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.unavailable(`delete ${id}`, error);
    }
  }

  async listByPrefix<T extends object>(prefix: string, options: ListOptions = {}): Promise<ListedDoc<T>[]> {
    const range = options.descending
      ? { startkey: prefixEnd(prefix), endkey: prefix, descending: true }
      : { startkey: prefix, endkey: prefixEnd(prefix) };
    try {
      const response = await this.db.list({
        ...range,
        include_docs: options.includeDocs === true,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.skip ? { skip: options.skip } : {}),
      });
      return response.rows.map((row) => ({ id: row.id, ...(row.doc ? { doc: row.doc as unknown as StoredDoc<T> } : {}) }));
    } catch (error) {
      throw this.unavailable(`list ${prefix}`, error);
    }
  }

  private unavailable(operation: string, error: unknown): WhiskflowError {
    const status = statusOf(error);
    return new WhiskflowError('STORE_UNAVAILABLE', `${this.description}: ${operation} failed${status ? ` with HTTP ${status}` : ''}: ${(error as Error).message}`,
      { store: this.description, operation, status }, status === undefined || status >= 500 || status === 429);
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
