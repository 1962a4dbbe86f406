/**
 * The platform's three CouchDB databases, named like OpenWhisk's (`<prefix>subjects`, `whisks`,
 * `activations`), reached with nano so that a real CouchDB works as well as the embedded server.
 */
import nano from 'nano';
import { withConnectionRetry } from '../../store/connection-retry';
import { ServiceMissingError, StoreConflictError, WhiskflowError, ensureError } from '../../errors';

export interface PlatformDatabases {
  subjects: nano.DocumentScope<Record<string, unknown>>;
  whisks: nano.DocumentScope<Record<string, unknown>>;
  activations: nano.DocumentScope<Record<string, unknown>>;
}

export const DEFAULT_DB_PREFIX = 'whisk_local_';

export async function openDatabases(couchUrl: string, prefix = DEFAULT_DB_PREFIX): Promise<PlatformDatabases> {
  // Loopback traffic gains nothing from gzip, which costs CPU on both sides of every bulk write.
  // Spelled exactly as nano spells its own default ('Accept-Encoding': 'deflate, gzip'), which it
  // merges with Object.assign: a lower-case key would be a second header, and the values would be
  // joined into 'deflate, gzip, identity', so that pouchdb-server still compressed every answer.
  const server = nano({ url: couchUrl, headers: { 'Accept-Encoding': 'identity' } });
  const names = { subjects: `${prefix}subjects`, whisks: `${prefix}whisks`, activations: `${prefix}activations` };
  for (const name of Object.values(names)) {
    try {
      await server.db.create(name);
    } catch (error) {
      // 412: the database already exists, which is the normal case after a restart.
      if (statusCodeOf(error) !== 412) throw storeError(error, `creating database ${name}`);
    }
  }
  // Requests that fail on the way (the embedded CouchDB was restarted under them) are sent again.
  return {
    subjects: withConnectionRetry(server.use(names.subjects)),
    whisks: withConnectionRetry(server.use(names.whisks)),
    activations: withConnectionRetry(server.use(names.activations)),
  };
}

export function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Maps a nano failure to a typed error; 409 becomes a StoreConflictError for the API's 409. */
export function storeError(error: unknown, doing: string, docId?: string): WhiskflowError {
  const status = statusCodeOf(error);
  if (status === 409 && docId) return new StoreConflictError(docId);
  if (status === undefined) return new ServiceMissingError('CouchDB', `${doing} failed: ${ensureError(error).message}`);
  return new WhiskflowError('STORE_UNAVAILABLE', `CouchDB ${doing} failed with ${status}: ${ensureError(error).message}`, { status, docId }, true);
}

/** Reads every document of a database page by page (databases of a local platform are small). */
export async function readAllDocs(db: nano.DocumentScope<Record<string, unknown>>, pageSize = 2000): Promise<Record<string, unknown>[]> {
  const docs: Record<string, unknown>[] = [];
  await forEachDoc(db, (doc) => { docs.push(doc); }, pageSize);
  return docs;
}

/** Visits every document page by page, so that only one page is in memory at a time. */
export async function forEachDoc(
  db: nano.DocumentScope<Record<string, unknown>>,
  visit: (doc: Record<string, unknown>) => void | Promise<void>,
  pageSize = 2000,
): Promise<void> {
  let startkey: string | undefined;
  for (;;) {
    const page = await db.list({ include_docs: true, limit: pageSize + 1, ...(startkey !== undefined ? { startkey } : {}) });
    const rows = page.rows;
    const last = rows.length > pageSize ? rows.pop() : undefined;
    for (const row of rows) {
      if (row.doc && !row.id.startsWith('_design/')) await visit(row.doc as unknown as Record<string, unknown>);
    }
    if (!last) return;
    startkey = last.id;
  }
}
