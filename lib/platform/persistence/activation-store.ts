/**
 * Activation records. pouchdb-server writes ~250 single documents/s but thousands/s through
 * `_bulk_docs`, so records are written behind: kept in memory (where reads and lists are served from)
 * and flushed in batches every few milliseconds, and on close. The memory window is bounded both in
 * records (`cacheSize`) and in bytes (`cacheBytes`, by each record's serialized size, logs included):
 * records evicted from it stay readable by id, from the write queue until written, then from CouchDB.
 */
import nano from 'nano';
import { ActivationRecord } from '../activation-record';
import { ActivationJournal, type ActivationStart } from './activation-journal';
import { statusCodeOf, storeError } from './couch';

export interface ActivationStoreOptions {
  /** Records kept in memory for reads and lists. @default 10000 */
  cacheSize?: number;
  /**
   * Bytes of records (serialized, logs included) kept in memory for reads and lists: a few actions
   * logging megabytes each must not pin hundreds of megabytes. @default 64 MiB
   */
  cacheBytes?: number;
  /** Largest `_bulk_docs` request in bytes (at least one record per request). @default 8 MiB */
  batchBytes?: number;
  /**
   * Delay before a batch is written. pouchdb-server's cost is mostly per request (a `_bulk_docs` of
   * 10 records costs it ~1 ms per record, one of 200 ~0.25 ms), so gathering many records per
   * request cuts its CPU per activation several times; reads are served from memory meanwhile, a
   * full batch (`batchSize`) goes out at once, and `flush()` on stop writes what is left. @default 1000
   */
  flushDelayMs?: number;
  /**
   * Largest `_bulk_docs` batch; more queued records go out in several requests, one after another.
   * The CouchDB is shared with the run store of whiskflow's orchestrator (as a real OpenWhisk's
   * is with its clients), and pouchdb-server works through requests one at a time: a request that
   * arrives during a batch of 400 records waits for all of it (~60 ms on a 2-core machine). With
   * batches of 100 it waits ~15 ms at most, for a few per cent more server time per record.
   * @default 100
   */
  batchSize?: number;
  /**
   * The journal file (activation-journal.ts): starts and records are appended to it before anything
   * else, so that a crash loses none, and `open` writes what a crashed platform left. Unset: none.
   */
  journalFile?: string;
  /** The journal starts afresh once it is this big and its records are in CouchDB. @default 16 MiB */
  journalMaxBytes?: number;
  /** Reports write failures (records stay queued and are retried). */
  onError?: (error: Error) => void;
}

export interface ActivationQuery {
  /** Filter on the simple name or `pkg/name` of the activated entity. */
  name?: string;
  since?: number;
  upto?: number;
}

export class ActivationStore {
  /** Per namespace, in insertion order: the memory window of recent records, with their sizes. */
  private readonly recent = new Map<string, Map<string, { record: ActivationRecord; bytes: number }>>();
  private recentCount = 0;
  private recentBytes = 0;
  /**
   * `namespace/id` of activations started and not yet recorded. Clients that wait for a result poll
   * the record by id (the streaming engine reads every running task); the answer for these is known
   * to be 404 without asking CouchDB, which is shared with the run store and serves one request at
   * a time.
   */
  private readonly running = new Map<string, ActivationStart | undefined>();
  private pending: { record: ActivationRecord; bytes: number }[] = [];
  /** `namespace/id` of queued records: a record evicted from the window is still read from here. */
  private readonly pendingById = new Map<string, ActivationRecord>();
  private pendingBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private readonly cacheSize: number;
  private readonly cacheBytes: number;
  private readonly flushDelayMs: number;
  private readonly batchSize: number;
  private readonly batchBytes: number;
  private journal: ActivationJournal | undefined;
  /** What `open` found in the journal of a platform that stopped without writing it all. */
  recovered = { ended: 0, lost: 0 };

  private constructor(private readonly db: nano.DocumentScope<Record<string, unknown>>, private readonly options: ActivationStoreOptions) {
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheBytes = options.cacheBytes ?? 64 * 1024 * 1024;
    this.flushDelayMs = options.flushDelayMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
  }

  /**
   * Reads back only what the memory window holds: the newest `cacheSize` records written (the
   * changes feed, newest first), not the whole database, so a platform with millions of records
   * starts as fast as one with a few. Older records stay readable by id from CouchDB.
   */
  static async open(db: nano.DocumentScope<Record<string, unknown>>, options: ActivationStoreOptions = {}): Promise<ActivationStore> {
    const store = new ActivationStore(db, options);
    const docs = await readNewestRecords(db, store.cacheSize);
    docs.sort((a, b) => a.start - b.start);
    for (const record of docs) store.remember(record, sizeOf(record));
    if (options.journalFile) await store.openJournal(options.journalFile);
    return store;
  }

  /**
   * An activation that has started: until `add` records it, reads of its id answer `undefined`.
   * With `start`, it is journaled, so that a crash before its record leaves a record saying it was lost.
   */
  started(namespace: string, activationId: string, start?: ActivationStart): void {
    this.running.set(`${namespace}/${activationId}`, start);
    if (start && !this.closed) this.journal?.started(start);
  }

  add(record: ActivationRecord): void {
    const key = `${record.namespace}/${record.activationId}`;
    this.running.delete(key);
    if (!this.closed) this.journal?.ended(record);
    const bytes = sizeOf(record);
    this.remember(record, bytes);
    if (this.closed) return;
    this.queue(record, bytes);
    this.compactJournal();
    // A full batch goes out at once instead of waiting for the timer.
    if ((this.pending.length >= this.batchSize || this.pendingBytes >= this.batchBytes) && !this.flushing) {
      this.flush().catch(() => this.scheduleFlush());
    } else {
      this.scheduleFlush();
    }
  }

  async get(namespace: string, activationId: string): Promise<ActivationRecord | undefined> {
    const cached = this.recent.get(namespace)?.get(activationId)?.record ?? this.pendingById.get(`${namespace}/${activationId}`);
    if (cached) return cached;
    if (this.running.has(`${namespace}/${activationId}`)) return undefined;
    try {
      const { _id, _rev, ...record } = (await this.db.get(`${namespace}/${activationId}`)) as unknown as ActivationRecord & { _id: string; _rev: string };
      return record;
    } catch (error) {
      if (statusCodeOf(error) === 404) return undefined;
      throw storeError(error, `reading activation ${activationId}`);
    }
  }

  /** Records of a namespace matching `query`, newest start first. */
  list(namespace: string, query: ActivationQuery, matchesName: (record: ActivationRecord, name: string) => boolean): ActivationRecord[] {
    const records = [...(this.recent.get(namespace)?.values() ?? [])].map((entry) => entry.record).filter((record) =>
      (query.since === undefined || record.start >= query.since)
      && (query.upto === undefined || record.start <= query.upto)
      && (query.name === undefined || matchesName(record, query.name)));
    return records.sort((a, b) => b.start - a.start);
  }

  /** Writes every queued record; resolves when CouchDB has them all (rejects if a batch failed). */
  flush(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    // One writer at a time: a flush requested during another waits for it, then writes what is left.
    // Only what is queued when this flush's turn comes is written: records arriving during the write
    // wait for the next timer, so that a busy platform writes few large batches, not many tiny ones.
    const run = (this.flushing ?? Promise.resolve()).catch(() => undefined).then(async () => {
      let remaining = this.pending.length;
      while (remaining > 0 && this.pending.length > 0) {
        const batch = this.pending.splice(0, this.batchLength(Math.min(this.batchSize, remaining)));
        remaining -= batch.length;
        await this.writeBatch(batch);
      }
    });
    const tracked = run.finally(() => { if (this.flushing === tracked) this.flushing = undefined; });
    tracked.catch(() => undefined);
    this.flushing = tracked;
    return run;
  }

  /**
   * Writes everything still queued, then stops writing: records added afterwards stay in memory only.
   * Call before the database goes away, so that no retry timer outlives it.
   */
  async close(): Promise<void> {
    // At least one flush even with nothing queued: it waits for a batch already being written, and
    // writes that batch again if its write failed.
    for (let attempt = 0; attempt < 5 && (attempt === 0 || this.pending.length > 0); attempt++) {
      try {
        await this.flush();
      } catch {
        // writeBatch re-queued the batch and reported the error; try again.
      }
    }
    this.closed = true;
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    // What is still running or unwritten stays journaled for the next start.
    this.journal?.reset(this.runningStarts(), this.pendingRecords());
    this.journal?.close();
    this.journal = undefined;
  }

  private queue(record: ActivationRecord, bytes: number): void {
    this.pending.push({ record, bytes });
    this.pendingById.set(`${record.namespace}/${record.activationId}`, record);
    this.pendingBytes += bytes;
  }

  private pendingRecords(): ActivationRecord[] {
    return this.pending.map((entry) => entry.record);
  }

  /** Writes the records a crashed platform left in the journal (those CouchDB lacks), then starts it afresh. */
  private async openJournal(file: string): Promise<void> {
    const { journal, recovered } = ActivationJournal.open(file);
    // Which of the journal's records CouchDB has: asked by id, so the cost follows the journal's size.
    const stored = await storedIds(this.db, [...recovered.ended, ...recovered.lost].map((record) => `${record.namespace}/${record.activationId}`));
    for (const [kind, records] of [['ended', recovered.ended], ['lost', recovered.lost]] as const) {
      for (const record of records) {
        if (stored.has(`${record.namespace}/${record.activationId}`)) continue;
        const bytes = sizeOf(record);
        this.remember(record, bytes);
        this.queue(record, bytes);
        this.recovered[kind] += 1;
      }
    }
    this.journal = journal;
    if (this.pending.length > 0) await this.flush();
    journal.reset([], this.pendingRecords());
  }

  private runningStarts(): ActivationStart[] {
    return [...this.running.values()].filter((start): start is ActivationStart => start !== undefined);
  }

  /** A big journal whose records are all written or queued starts afresh (no batch may be in flight: it is in neither). */
  private compactJournal(): void {
    if (!this.journal || this.flushing || this.journal.size < (this.options.journalMaxBytes ?? 16 * 1024 * 1024)) return;
    this.journal.reset(this.runningStarts(), this.pendingRecords());
  }

  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch(() => { if (this.pending.length > 0) this.scheduleFlush(); });
    }, this.flushDelayMs);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Records at the head of the queue that fit one request: at most `count`, at most batchBytes (but one). */
  private batchLength(count: number): number {
    let bytes = 0;
    let length = 0;
    for (const entry of this.pending) {
      if (length >= count || (length > 0 && bytes + entry.bytes > this.batchBytes)) break;
      bytes += entry.bytes;
      length += 1;
    }
    return length;
  }

  private async writeBatch(batch: { record: ActivationRecord; bytes: number }[]): Promise<void> {
    try {
      const results = await this.db.bulk({ docs: batch.map(({ record }) => ({ ...record, _id: `${record.namespace}/${record.activationId}` })) });
      // A conflict means the record is already stored (a retried batch): nothing to redo.
      const failed = batch.filter((_record, index) => { const result = results[index]; return result?.error !== undefined && result.error !== 'conflict'; });
      if (failed.length > 0) throw new Error(`${failed.length} activation records were rejected by CouchDB`);
      for (const { record, bytes } of batch) {
        this.pendingById.delete(`${record.namespace}/${record.activationId}`);
        this.pendingBytes -= bytes;
      }
    } catch (error) {
      this.pending.unshift(...batch);
      this.options.onError?.(storeError(error, 'writing activations'));
      // Retry later instead of spinning; close() gives up after its own attempts.
      await new Promise((resolve) => setTimeout(resolve, 200));
      throw error;
    }
  }

  /** Bytes of the records in the memory window, as accounted against `cacheBytes`. */
  get cachedBytes(): number {
    return this.recentBytes;
  }

  private remember(record: ActivationRecord, bytes: number): void {
    let byId = this.recent.get(record.namespace);
    if (!byId) { byId = new Map(); this.recent.set(record.namespace, byId); }
    const replaced = byId.get(record.activationId);
    if (replaced) { this.recentCount -= 1; this.recentBytes -= replaced.bytes; }
    byId.set(record.activationId, { record, bytes });
    this.recentCount += 1;
    this.recentBytes += bytes;
    while (this.recentCount > this.cacheSize || this.recentBytes > this.cacheBytes) {
      if (!this.evictOldest()) break;
    }
  }

  private evictOldest(): boolean {
    let oldest: { namespace: string; id: string; start: number } | undefined;
    for (const [namespace, byId] of this.recent) {
      const first = byId.values().next();
      if (!first.done && (!oldest || first.value.record.start < oldest.start)) oldest = { namespace, id: first.value.record.activationId, start: first.value.record.start };
    }
    if (!oldest) return false;
    const byId = this.recent.get(oldest.namespace)!;
    const evicted = byId.get(oldest.id)!;
    byId.delete(oldest.id);
    if (byId.size === 0) this.recent.delete(oldest.namespace);
    this.recentCount -= 1;
    this.recentBytes -= evicted.bytes;
    return true;
  }
}

/** A record's size as stored: its JSON text (logs included), which is what it costs to keep. */
function sizeOf(record: ActivationRecord): number {
  return JSON.stringify(record).length;
}

type StoredRecord = ActivationRecord & { _id?: string; _rev?: string; _deleted?: boolean };

/** The newest `limit` activation records written, from the changes feed read backwards (one request). */
async function readNewestRecords(db: nano.DocumentScope<Record<string, unknown>>, limit: number): Promise<ActivationRecord[]> {
  if (limit <= 0) return [];
  const changes = await db.changes({ descending: true, limit, include_docs: true });
  const records: ActivationRecord[] = [];
  for (const change of changes.results) {
    const doc = (change as { doc?: StoredRecord }).doc;
    if (!doc || change.deleted || doc._deleted || change.id.startsWith('_design/') || typeof doc.activationId !== 'string') continue;
    const { _id, _rev, ...record } = doc;
    records.push(record);
  }
  return records;
}

/** Which of `ids` exist in the database (`_all_docs` by keys, no bodies, 1,000 ids a request). */
async function storedIds(db: nano.DocumentScope<Record<string, unknown>>, ids: string[]): Promise<Set<string>> {
  const stored = new Set<string>();
  for (let from = 0; from < ids.length; from += 1000) {
    const page = await db.fetchRevs({ keys: ids.slice(from, from + 1000) });
    for (const row of page.rows) {
      const value = (row as { value?: { deleted?: boolean } }).value;
      if (!('error' in row) && value && !value.deleted) stored.add(row.key);
    }
  }
  return stored;
}
