/**
 * In-memory RunStore with CouchDB's conflict semantics, for unit tests and single-process use.
 * Revisions are `<n>-mem`, enough to detect lost updates the way CouchDB does.
 */
import { StoreConflictError } from '../errors';
import { inListRange, readEach, withoutMeta, type CreateOutcome, type CreateResult, type ListOptions, type ListedDoc, type NewDoc, type ReplaceResult, type RunStore, type StoreAnswer, type StoreRead, type StoredDoc } from './run-store';

export class MemoryRunStore implements RunStore {
  readonly description = 'memory';
  private readonly docs = new Map<string, { rev: number; body: string }>();

  async ensureReady(): Promise<void> {}

  async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    await Promise.resolve(); // yield like real I/O so that concurrent callers interleave
    if (this.docs.has(id)) return 'exists';
    this.docs.set(id, { rev: 1, body: JSON.stringify(withoutMeta(body)) });
    return 'created';
  }

  /** Like `_bulk_docs`: one round trip, each document created or refused on its own. */
  async createMany(docs: readonly NewDoc[]): Promise<CreateResult[]> {
    await Promise.resolve();
    return docs.map(({ id, body }): CreateResult => {
      if (this.docs.has(id)) return { id, outcome: 'exists' };
      this.docs.set(id, { rev: 1, body: JSON.stringify(withoutMeta(body)) });
      return { id, outcome: 'created', rev: '1-mem' };
    });
  }

  async replaceMany(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
    await Promise.resolve();
    return docs.map((doc): ReplaceResult => {
      const entry = this.docs.get(doc._id);
      if (!entry || `${entry.rev}-mem` !== doc._rev) return { id: doc._id, conflict: true };
      entry.rev += 1;
      entry.body = JSON.stringify(withoutMeta(doc));
      return { id: doc._id, rev: `${entry.rev}-mem` };
    });
  }

  async revisions(ids: readonly string[]): Promise<Map<string, string>> {
    await Promise.resolve();
    const revisions = new Map<string, string>();
    for (const id of ids) {
      const entry = this.docs.get(id);
      if (entry) revisions.set(id, `${entry.rev}-mem`);
    }
    return revisions;
  }

  async getMany<T extends object>(ids: readonly string[]): Promise<Map<string, StoredDoc<T>>> {
    await Promise.resolve();
    const docs = new Map<string, StoredDoc<T>>();
    for (const id of ids) {
      const doc = this.stored<T>(id);
      if (doc) docs.set(id, doc);
    }
    return docs;
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    await Promise.resolve();
    return ids.filter((id) => this.docs.delete(id)).length;
  }

  async get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    await Promise.resolve();
    return this.stored<T>(id);
  }

  /** A copy of document `id` as stored, with its revision; undefined when there is none. */
  private stored<T extends object>(id: string): StoredDoc<T> | undefined {
    const entry = this.docs.get(id);
    return entry ? { ...(JSON.parse(entry.body) as T), _id: id, _rev: `${entry.rev}-mem` } : undefined;
  }

  async replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    await Promise.resolve();
    const entry = this.docs.get(doc._id);
    if (!entry || `${entry.rev}-mem` !== doc._rev) throw new StoreConflictError(doc._id, doc._rev);
    const { _id, _rev, ...body } = doc;
    entry.rev += 1;
    entry.body = JSON.stringify(body);
    return `${entry.rev}-mem`;
  }

  async upsert<T extends object>(id: string, body: T): Promise<string> {
    await Promise.resolve();
    const entry = this.docs.get(id);
    const rev = (entry?.rev ?? 0) + 1;
    this.docs.set(id, { rev, body: JSON.stringify(body) });
    return `${rev}-mem`;
  }

  async remove(id: string): Promise<boolean> {
    await Promise.resolve();
    return this.docs.delete(id);
  }

  /** As CouchDB's `_all_docs/queries`: each read answered as on its own (group commit batches through it). */
  readMany(reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
    return readEach(this, reads);
  }

  async listByPrefix<T extends object>(prefix: string, options: ListOptions = {}): Promise<ListedDoc<T>[]> {
    await Promise.resolve();
    let ids = [...this.docs.keys()].filter((id) => inListRange(id, prefix, options)).sort();
    if (options.descending) ids.reverse();
    ids = ids.slice(options.skip ?? 0, options.limit === undefined ? undefined : (options.skip ?? 0) + options.limit);
    const rows: ListedDoc<T>[] = [];
    for (const id of ids) {
      if (!options.includeDocs) rows.push({ id });
      else {
        const doc = await this.get<T>(id);
        if (doc) rows.push({ id, doc });
      }
    }
    return rows;
  }
}
