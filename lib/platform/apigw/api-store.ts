/**
 * The API definitions of the local gateway, one CouchDB document per tenant (the namespace's uuid, as
 * the clients' `spaceguid`) and base path, next to the credentials in the subjects database (as the
 * alarms are). Kept in memory as well: every routed request looks its API up.
 */
import nano from 'nano';
import { statusCodeOf, storeError } from '../persistence/couch';
import { SwaggerApi } from './swagger';

export interface StoredApi {
  tenant: string;
  namespace: string;
  swagger: SwaggerApi;
}

const PREFIX = 'apigw:';

function docId(tenant: string, basePath: string): string {
  return `${PREFIX}${tenant}:${basePath}`;
}

export class ApiStore {
  private readonly apis = new Map<string, StoredApi & { rev?: string }>();
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: nano.DocumentScope<Record<string, unknown>>) {}

  static async open(db: nano.DocumentScope<Record<string, unknown>>): Promise<ApiStore> {
    const store = new ApiStore(db);
    const page = await db.list({ include_docs: true, startkey: PREFIX, endkey: `${PREFIX}\ufff0` });
    for (const row of page.rows) {
      const doc = row.doc as unknown as (StoredApi & { _rev: string }) | undefined;
      if (doc?.swagger) store.apis.set(row.id, { tenant: doc.tenant, namespace: doc.namespace, swagger: doc.swagger, rev: doc._rev });
    }
    return store;
  }

  /** APIs of a tenant, by base path; with `basePathOrName`, the one whose base path or title it is. */
  list(tenant: string, basePathOrName?: string): StoredApi[] {
    return [...this.apis.values()]
      .filter((api) => api.tenant === tenant)
      .filter((api) => basePathOrName === undefined || api.swagger.basePath === basePathOrName || api.swagger.info.title === basePathOrName)
      .sort((a, b) => a.swagger.basePath.localeCompare(b.swagger.basePath));
  }

  get(tenant: string, basePath: string): StoredApi | undefined {
    return this.apis.get(docId(tenant, basePath));
  }

  /** Stores (creates or replaces) an API; writes are serialised so that revisions follow each other. */
  put(api: StoredApi): Promise<StoredApi> {
    return this.exclusive(async () => {
      const id = docId(api.tenant, api.swagger.basePath);
      const current = this.apis.get(id);
      try {
        const response = await this.db.insert({ _id: id, ...(current?.rev ? { _rev: current.rev } : {}), ...api } as Record<string, unknown>);
        this.apis.set(id, { ...api, rev: response.rev });
      } catch (error) {
        throw storeError(error, `saving API ${api.swagger.basePath}`, id);
      }
      return api;
    });
  }

  remove(tenant: string, basePath: string): Promise<void> {
    return this.exclusive(async () => {
      const id = docId(tenant, basePath);
      const current = this.apis.get(id);
      if (!current) return;
      try {
        if (current.rev) await this.db.destroy(id, current.rev);
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw storeError(error, `deleting API ${basePath}`, id);
      }
      this.apis.delete(id);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writes.then(work, work);
    this.writes = next.catch(() => undefined);
    return next;
  }
}
