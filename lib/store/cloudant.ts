/**
 * RunStore on IBM Cloudant through `@ibm-cloud/cloudant`, with IAM (API key) or legacy
 * (username/password) credentials. Same create-only/CAS semantics as CouchDB: Cloudant answers 409.
 */
import { BasicAuthenticator, CloudantV1, IamAuthenticator } from '@ibm-cloud/cloudant';
import { StoreConflictError, WhiskflowError } from '../errors';
import { listRange, upsertByReplace, withoutMeta, type CreateOutcome, type CreateResult, type ListOptions, type ListedDoc, type NewDoc, type ReplaceResult, type RunStore, type StoreAnswer, type StoreRead, type StoredDoc } from './run-store';
import { answerOfRows, bulkRowOutcome, listedRows, liveDocs, liveRevisions, type BulkRow } from './bulk';

export interface CloudantStoreOptions {
  /** Service URL, e.g. `https://<account>.cloudantnosqldb.appdomain.cloud`. */
  url: string;
  dbname: string;
  /** IAM API key; preferred over username/password when both are given. */
  iamApiKey?: string;
  username?: string;
  password?: string;
}

type CloudantDocument = CloudantV1.Document;

export class CloudantRunStore implements RunStore {
  readonly description: string;
  private readonly client: CloudantV1;

  constructor(private readonly options: CloudantStoreOptions) {
    const authenticator = options.iamApiKey
      ? new IamAuthenticator({ apikey: options.iamApiKey })
      : new BasicAuthenticator({ username: options.username ?? '', password: options.password ?? '' });
    this.client = new CloudantV1({ authenticator, serviceUrl: options.url });
    // 429 (Cloudant's rate limit) and 5xx are retried with backoff; a repeated create answers 409,
    // which callers handle as "someone created it" (see CouchDbRunStore.retrying).
    this.client.enableRetries({ maxRetries: 3, maxRetryInterval: 4 });
    this.description = `cloudant ${new URL(options.url).host}/${options.dbname}`;
  }

  async ensureReady(): Promise<void> {
    try {
      await this.client.putDatabase({ db: this.options.dbname });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 412 && status !== 409) throw this.unavailable('create database', error);
    }
  }

  async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    try {
      await this.client.putDocument({ db: this.options.dbname, docId: id, document: withoutMeta(body) as CloudantDocument });
      return 'created';
    } catch (error) {
      if (statusOf(error) === 409) return 'exists';
      throw this.unavailable(`create ${id}`, error);
    }
  }

  async createMany(docs: readonly NewDoc[]): Promise<CreateResult[]> {
    const rows = await this.bulk(docs.map(({ id, body }) => ({ ...withoutMeta(body), _id: id }) as CloudantDocument), 'create');
    return rows.map((row, index) => (row.conflict ? { id: row.id ?? docs[index]!.id, outcome: 'exists' } : { id: row.id ?? docs[index]!.id, outcome: 'created', rev: row.rev }));
  }

  async replaceMany(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
    const rows = await this.bulk(docs.map((doc) => ({ ...doc }) as unknown as CloudantDocument), 'update');
    return rows.map((row, index) => (row.conflict ? { id: row.id ?? docs[index]!._id, conflict: true } : { id: row.id ?? docs[index]!._id, rev: row.rev }));
  }

  async revisions(ids: readonly string[]): Promise<Map<string, string>> {
    try {
      const response = await this.client.postAllDocs({ db: this.options.dbname, keys: [...ids] });
      return liveRevisions(response.result.rows);
    } catch (error) {
      throw this.unavailable(`revisions of ${ids.length}`, error);
    }
  }

  async getMany<T extends object>(ids: readonly string[]): Promise<Map<string, StoredDoc<T>>> {
    try {
      const response = await this.client.postAllDocs({ db: this.options.dbname, keys: [...ids], includeDocs: true });
      return liveDocs<T>(response.result.rows);
    } catch (error) {
      throw this.unavailable(`read of ${ids.length}`, error);
    }
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    const revisions = await this.revisions(ids);
    if (revisions.size === 0) return 0;
    const rows = await this.bulk([...revisions].map(([id, rev]) => ({ _id: id, _rev: rev, _deleted: true }) as CloudantDocument), 'delete');
    return rows.filter((row) => !row.conflict).length;
  }

  /** `_bulk_docs` (Cloudant answers per document like CouchDB: `{ok, id, rev}` or `{id, error: "conflict"}`). */
  private async bulk(docs: CloudantDocument[], what: string): Promise<BulkRow[]> {
    let rows: CloudantV1.DocumentResult[];
    try {
      rows = (await this.client.postBulkDocs({ db: this.options.dbname, bulkDocs: { docs } })).result;
    } catch (error) {
      throw this.unavailable(`bulk ${what} of ${docs.length}`, error);
    }
    return rows.map((row) => bulkRowOutcome(row, this.description, what));
  }

  async get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    try {
      return (await this.client.getDocument({ db: this.options.dbname, docId: id })).result as unknown as StoredDoc<T>;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.unavailable(`read ${id}`, error);
    }
  }

  async replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    try {
      const response = await this.client.putDocument({ db: this.options.dbname, docId: doc._id, document: doc as unknown as CloudantDocument });
      return response.result.rev ?? '';
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
      await this.client.deleteDocument({ db: this.options.dbname, docId: id, rev: current._rev });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw this.unavailable(`delete ${id}`, error);
    }
  }

  async listByPrefix<T extends object>(prefix: string, options: ListOptions = {}): Promise<ListedDoc<T>[]> {
    try {
      const response = await this.client.postAllDocs({ db: this.options.dbname, ...listQuery(prefix, options) });
      return listedRows<T>(response.result.rows);
    } catch (error) {
      throw this.unavailable(`list ${prefix}`, error);
    }
  }

  /** `POST /{db}/_all_docs/queries`: one request (and one billed read) for several reads. */
  async readMany(reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
    let results: CloudantV1.AllDocsResult[];
    try {
      results = (await this.client.postAllDocsQueries({ db: this.options.dbname, queries: reads.map(allDocsQuery) })).result.results;
    } catch (error) {
      throw this.unavailable(`${reads.length} reads`, error);
    }
    if (results.length !== reads.length) throw this.unavailable(`${reads.length} reads`, new Error(`the service answered ${results.length} of ${reads.length} queries`));
    return reads.map((read, position) => answerOfRows(read, results[position]!.rows));
  }

  private unavailable(operation: string, error: unknown): WhiskflowError {
    const status = statusOf(error);
    return new WhiskflowError('STORE_UNAVAILABLE', `${this.description}: ${operation} failed${status ? ` with HTTP ${status}` : ''}`,
      { store: this.description, operation, status }, status === undefined || status >= 500 || status === 429);
  }
}

function rangeOf(range: ReturnType<typeof listRange>): { startKey: string; endKey: string; descending?: boolean; inclusiveEnd?: boolean } {
  return { startKey: range.startkey, endKey: range.endkey, ...(range.descending ? { descending: true } : {}), ...(range.inclusiveEnd ? {} : { inclusiveEnd: false }) };
}

/** The `_all_docs` query of a listing of `prefix`'s range (the SDK's names). */
function listQuery(prefix: string, options: ListOptions): CloudantV1.AllDocsQuery {
  return {
    ...rangeOf(listRange(prefix, options)),
    includeDocs: options.includeDocs === true,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.skip ? { skip: options.skip } : {}),
  };
}

/** One query of `_all_docs/queries`: the parameters its own request would send. */
function allDocsQuery(read: StoreRead): CloudantV1.AllDocsQuery {
  switch (read.kind) {
    case 'list': return listQuery(read.prefix, read.options);
    case 'revisions': return { keys: [...read.ids] };
    case 'docs': return { keys: [...read.ids], includeDocs: true };
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown; statusCode?: unknown } | null);
  const value = status?.status ?? status?.statusCode;
  return typeof value === 'number' ? value : undefined;
}
