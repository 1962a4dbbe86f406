/**
 * In-memory copies of the parts of the run store the dashboard's pages read again and again: all
 * run heads (the runs page) and, per running run looked at, its stage, invoke, result and joined
 * documents (its page's live updates). A copy is listed from the store once, then kept current from
 * the store's changes feed (store-watch.ts), so that a page read while a 10,000-task map runs costs
 * the documents written since, not a new listing of 20,000. `store()` is a RunStore that answers
 * reads from the copies that are ready and passes every other call through, so the page code (and
 * describeRun) stays as it is. A run's records are copied only when asked (`copyRun`): a page of a
 * finished run reads its summary from the store (ids and markers, run-summary.ts), not all of it.
 */
import { LruMap } from '../core/lru-map';
import { inListRange, type ListedDoc, type ListOptions, type RunStore, type StoredDoc } from '../store/run-store';
import type { ChangedDoc, StoreWatch, WatchSubscriber } from './store-watch';

type Doc = StoredDoc<Record<string, unknown>>;

/** The ranges copied: all heads, and one run's records of one kind. */
const RECORD_RANGE = /^(stage|invoke|result|joined)\/([^/]+)\//;
const RECORD_KINDS = ['stage', 'invoke', 'result', 'joined'] as const;
const HEADS = 'run/';

/** Runs' records kept at once (each is four ranges); a wide map's are 20,000 documents. */
export const COPIED_RUNS = 6;

class RangeCopy {
  readonly docs = new Map<string, Doc>();
  private sorted: string[] | undefined;
  /** Changes that arrived while the range was being listed: applied over the listing. */
  private pending: ChangedDoc[] | undefined = [];
  readonly loaded: Promise<void>;
  ready = false;

  constructor(readonly prefix: string, list: () => Promise<ListedDoc<Record<string, unknown>>[]>) {
    this.loaded = list().then((rows) => {
      for (const row of rows) if (row.doc) this.docs.set(row.id, row.doc);
      const arrived = this.pending ?? [];
      this.pending = undefined;
      for (const change of arrived) this.apply(change);
      this.ready = true;
    });
  }

  apply(change: ChangedDoc): void {
    if (this.pending) { this.pending.push(change); return; }
    const held = this.docs.get(change.id);
    if (change.deleted || !change.doc) {
      if (held && this.docs.delete(change.id)) this.sorted = undefined;
      return;
    }
    // The feed may hand over a revision older than the listing's (a read under way when the copy began).
    if (held && revision(held._rev) > revision(change.doc._rev)) return;
    if (!held) this.sorted = undefined;
    this.docs.set(change.id, change.doc as Doc);
  }

  list(prefix: string, options: ListOptions): ListedDoc<Record<string, unknown>>[] {
    this.sorted ??= [...this.docs.keys()].sort();
    const ranged = options.startKey !== undefined || options.endKey !== undefined;
    let ids = prefix === this.prefix && !ranged ? this.sorted : this.sorted.filter((id) => inListRange(id, prefix, options));
    if (options.descending) ids = [...ids].reverse();
    ids = ids.slice(options.skip ?? 0, options.limit !== undefined ? (options.skip ?? 0) + options.limit : undefined);
    return ids.map((id) => (options.includeDocs ? { id, doc: this.docs.get(id)! } : { id }));
  }
}

const revision = (rev: string): number => Number.parseInt(rev, 10) || 0;


export class StoreCopies implements WatchSubscriber {
  private heads: RangeCopy | undefined;
  private readonly records = new LruMap<RangeCopy>(COPIED_RUNS * RECORD_KINDS.length);
  private readonly facade: RunStore;

  constructor(private readonly backing: RunStore, private readonly watch: StoreWatch) {
    watch.subscribe(this);
    const copies = this;
    this.facade = {
      get description() { return backing.description; },
      ensureReady: () => backing.ensureReady(),
      createOnly: (id, body) => backing.createOnly(id, body),
      replace: (doc) => backing.replace(doc),
      upsert: (id, body) => backing.upsert(id, body),
      remove: (id) => backing.remove(id),
      get: async <T extends object>(id: string) => (await copies.read(id)) as StoredDoc<T> | undefined,
      listByPrefix: async <T extends object>(prefix: string, options: ListOptions = {}) => (await copies.listed(prefix, options)) as ListedDoc<T>[],
    };
  }

  /** A RunStore reading heads and run records from the copies (after catching up with the store). */
  store(): RunStore {
    return this.facade;
  }

  /** Whether the runs page can be answered from memory right away. */
  headsReady(): boolean {
    return this.heads?.ready === true;
  }

  /** Starts copying the run heads, without waiting for it (the runs page's first answer does not). */
  warmHeads(): void {
    this.copyOf(HEADS).catch(() => undefined);
  }

  /** Copies one run's records (its page then follows it from memory); resolves once they are copied. */
  async copyRun(runId: string): Promise<void> {
    await Promise.all(RECORD_KINDS.map((kind) => this.copyOf(`${kind}/${runId}/`)));
  }

  /** Whether one run's records are all copied. */
  runCopied(runId: string): boolean {
    return RECORD_KINDS.every((kind) => this.records.get(`${kind}/${runId}/`)?.ready === true);
  }

  changed(docs: readonly ChangedDoc[]): void {
    for (const change of docs) {
      if (change.id.startsWith(HEADS)) this.heads?.apply(change);
      const range = RECORD_RANGE.exec(change.id)?.[0];
      if (range) this.records.get(range)?.apply(change);
    }
  }

  reset(): void {
    this.heads = undefined;
    this.records.clear();
  }

  private async copyOf(prefix: string): Promise<RangeCopy | undefined> {
    const range = prefix.startsWith(HEADS) ? HEADS : RECORD_RANGE.exec(prefix)?.[0];
    if (!range) return undefined;
    let copy = range === HEADS ? this.heads : this.records.get(range);
    if (!copy) {
      // The watch must have a starting sequence before the listing, so that nothing written after it is missed.
      await this.watch.catchUp();
      copy = (range === HEADS ? this.heads : this.records.get(range))
        ?? new RangeCopy(range, () => this.backing.listByPrefix<Record<string, unknown>>(range, { includeDocs: true }));
      if (range === HEADS) this.heads = copy; else this.records.set(range, copy);
    }
    try {
      await copy.loaded;
    } catch (error) {
      if (range === HEADS && this.heads === copy) this.heads = undefined; else if (range !== HEADS) this.records.delete(range);
      throw error;
    }
    return copy;
  }

  private async read(id: string): Promise<Doc | undefined> {
    // Heads are copied only once the runs page asked for them; a single head is one cheap read otherwise.
    if (id.startsWith(HEADS) && this.heads) return (await this.copyOf(HEADS))?.docs.get(id);
    const range = RECORD_RANGE.exec(id)?.[0];
    const copy = range ? this.records.get(range) : undefined;
    if (copy?.ready) return copy.docs.get(id);
    return this.backing.get<Record<string, unknown>>(id);
  }

  private async listed(prefix: string, options: ListOptions): Promise<ListedDoc<Record<string, unknown>>[]> {
    // All heads are copied on the runs page's first whole listing; a run's records only by copyRun.
    const heads = prefix.startsWith(HEADS) && options.includeDocs ? await this.copyOf(HEADS) : undefined;
    const range = RECORD_RANGE.exec(prefix)?.[0];
    const copy = heads ?? (range ? this.records.get(range) : undefined);
    return copy?.ready ? copy.list(prefix, options) : this.backing.listByPrefix<Record<string, unknown>>(prefix, options);
  }
}
