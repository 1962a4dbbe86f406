/**
 * Group commit for the store requests of one process (an orchestrator container that runs many
 * activations at once, `limits.concurrency` > 1).
 *
 * Why: every request to the store pays its own HTTP round trip and, on the embedded pouchdb-server,
 * its own turn in a server that works through requests one at a time. With many completions in
 * flight, the same container sends dozens of one-document creates and identical bucket listings
 * per second. Here, while a request of a kind is in flight, the requests of that kind that arrive
 * wait, and all of them leave together as soon as it returns: one `_bulk_docs` for the creates
 * (and one for the replaces), one `_all_docs` per identical range. A request that finds nothing in
 * flight leaves at once, so an idle container pays no added latency.
 *
 * Why the outcomes stay exactly those of one request per caller:
 * - creates and replaces: `_bulk_docs` decides every document on its own (lib/store/bulk.ts), so a
 *   document's outcome does not depend on its neighbours. An id that is already in the batch being
 *   gathered waits for the next batch instead of travelling twice in one request, so that the
 *   server, not this module, decides every outcome (two creates of one id: one `created`, one
 *   `exists`, as with two separate requests).
 * - listings (and reads of the same ids, `getMany`): a caller only shares a listing that is sent
 *   after the caller asked for it, never one already in flight, so the listing still happens after
 *   every write the caller completed before asking (the read-your-writes the join counts rely on,
 *   docs/exactly-once.md).
 * - reads of different kinds and ranges, where the store can send several in one request
 *   (`readMany`: CouchDB's `_all_docs/queries`): the same rule, for all reads at once. The reads
 *   asked in one turn leave together (a completion's bucket check beside its next-transition
 *   check), alone as their own request when there is one, and while that request is in flight the
 *   reads that arrive wait and then leave as one request. Each query is answered as its own request
 *   would be, so the outcome is the one of a request per caller sent at that moment. At 10,000 map
 *   tasks that took the run store from ~1.1 requests per task (most of them bucket checks, which
 *   differ by bucket and so were rarely shared) to fewer than one.
 * A failed request fails every caller that shared it, as if each had sent it and failed.
 */
import { BULK_CHUNK } from './bulk';
import { readEach, type CreateOutcome, type CreateResult, type ListOptions, type ListedDoc, type NewDoc, type ReplaceResult, type RunStore, type StoreAnswer, type StoreRead, type StoredDoc } from './run-store';

/** Requests sent so far, for tests and benchmarks. */
export interface GroupCommitStats {
  /** `_bulk_docs` requests that carried creates, and how many documents they carried. */
  createRequests: number;
  createdDocs: number;
  replaceRequests: number;
  replacedDocs: number;
  listRequests: number;
  /** Listing calls answered (each shared request answers one or more). */
  listCalls: number;
  /** `getMany` and `revisions` requests sent, and the calls they answered (identical id lists share one). */
  readRequests: number;
  readCalls: number;
  /** `readMany` requests sent (several distinct reads in one), and the distinct reads they carried. */
  batchRequests: number;
  batchedReads: number;
}

/** Distinct reads in one `readMany` at most (the rest wait for the next). */
const MAX_READS_PER_REQUEST = 100;

interface Waiting<In, Out> {
  item: In;
  resolve: (value: Out) => void;
  reject: (error: unknown) => void;
}

/**
 * Items wait while a batch is in flight and leave together when it returns. `keyOf` names items
 * that must not share a batch (the same document id): the later one waits for the next batch.
 */
class Batcher<In, Out> {
  private queue: Waiting<In, Out>[] = [];
  private inFlight = false;

  constructor(
    private readonly send: (items: In[]) => Promise<Out[]>,
    private readonly keyOf: (item: In) => string,
    private readonly maxBatch: number,
  ) {}

  submit(items: readonly In[]): Promise<Out[]> {
    const answers = items.map((item) => new Promise<Out>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    this.pump();
    return Promise.all(answers);
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Waiting<In, Out>[] = [];
    const later: Waiting<In, Out>[] = [];
    const keys = new Set<string>();
    for (const waiting of this.queue) {
      const key = this.keyOf(waiting.item);
      if (batch.length >= this.maxBatch || keys.has(key)) later.push(waiting);
      else {
        keys.add(key);
        batch.push(waiting);
      }
    }
    this.queue = later;
    this.inFlight = true;
    void this.flush(batch);
  }

  private async flush(batch: readonly Waiting<In, Out>[]): Promise<void> {
    try {
      const outcomes = await this.send(batch.map((waiting) => waiting.item));
      batch.forEach((waiting, position) => {
        const outcome = outcomes[position];
        if (outcome === undefined) waiting.reject(new Error('store answered a bulk request with fewer rows than documents'));
        else waiting.resolve(outcome);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    } finally {
      this.inFlight = false;
      this.pump();
    }
  }
}

/** Identical reads (listings, reads of the same ids) share one request sent after all of them were asked for (see the file comment). */
class ReadCoalescer<T> {
  private readonly lanes = new Map<string, { inFlight: boolean; waiting: Waiting<undefined, T>[] }>();

  /** `copy`: each caller gets a copy of its own (callers may sort or filter what they got); `count`: a request sent for `calls` callers. */
  constructor(private readonly copy: (value: T) => T, private readonly count: (calls: number) => void) {}

  submit(key: string, read: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { inFlight: false, waiting: [] };
      this.lanes.set(key, lane);
    }
    const answer = new Promise<T>((resolve, reject) => lane.waiting.push({ item: undefined, resolve, reject }));
    this.pump(key, read);
    return answer;
  }

  private pump(key: string, read: () => Promise<T>): void {
    const lane = this.lanes.get(key);
    if (!lane || lane.inFlight) return;
    if (lane.waiting.length === 0) {
      this.lanes.delete(key);
      return;
    }
    const sharing = lane.waiting;
    lane.waiting = [];
    lane.inFlight = true;
    this.count(sharing.length);
    read().then(
      (value) => { for (const waiting of sharing) waiting.resolve(this.copy(value)); },
      (error: unknown) => { for (const waiting of sharing) waiting.reject(error); },
    ).finally(() => {
      lane.inFlight = false;
      this.pump(key, read);
    });
  }
}

/**
 * All reads of a store that can send several in one request (`readMany`): those asked in one turn
 * leave together, and while a request is in flight the ones that arrive wait and leave together
 * when it returns. Identical reads waiting together share one query. A request that carries one
 * read is that read's own request (the store's `listByPrefix`, `revisions`, `getMany`).
 */
class ReadBatcher {
  private readonly waiting = new Map<string, { read: StoreRead; callers: Waiting<undefined, StoreAnswer>[] }>();
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly inner: RunStore,
    private readonly readMany: (reads: readonly StoreRead[]) => Promise<StoreAnswer[]>,
    private readonly stats: GroupCommitStats,
  ) {}

  submit(key: string, read: StoreRead): Promise<StoreAnswer> {
    let entry = this.waiting.get(key);
    if (!entry) {
      entry = { read, callers: [] };
      this.waiting.set(key, entry);
    }
    const answer = new Promise<StoreAnswer>((resolve, reject) => entry.callers.push({ item: undefined, resolve, reject }));
    this.schedule();
    return answer;
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled || this.waiting.size === 0) return;
    // At the end of the turn: reads asked side by side (`Promise.all`) travel in one request.
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight || this.waiting.size === 0) return;
    const batch = [...this.waiting.entries()].slice(0, MAX_READS_PER_REQUEST);
    for (const [key] of batch) this.waiting.delete(key);
    this.inFlight = true;
    for (const [, entry] of batch) this.countCalls(entry.read, entry.callers.length);
    const reads = batch.map(([, entry]) => entry.read);
    const answers = reads.length === 1 ? this.single(reads[0]!) : this.many(reads);
    answers.then(
      (values) => batch.forEach(([, entry], position) => {
        const value = values[position];
        for (const caller of entry.callers) {
          if (value === undefined) caller.reject(new Error(`store answered ${values.length} of ${reads.length} reads`));
          else caller.resolve(copyOf(value));
        }
      }),
      (error: unknown) => { for (const [, entry] of batch) for (const caller of entry.callers) caller.reject(error); },
    ).finally(() => {
      this.inFlight = false;
      this.schedule();
    });
  }

  private many(reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
    this.stats.batchRequests += 1;
    this.stats.batchedReads += reads.length;
    return this.readMany(reads);
  }

  /** One read on its own: the store's own request for it. */
  private single(read: StoreRead): Promise<StoreAnswer[]> {
    if (read.kind === 'list') this.stats.listRequests += 1;
    else this.stats.readRequests += 1;
    return readEach(this.inner, [read]);
  }

  private countCalls(read: StoreRead, calls: number): void {
    if (read.kind === 'list') this.stats.listCalls += calls;
    else this.stats.readCalls += calls;
  }
}

/** `answer` as the kind of read it answers (a store that answered another kind is broken: no guess). */
function answerOf<K extends StoreAnswer['kind']>(answer: StoreAnswer, kind: K): Extract<StoreAnswer, { kind: K }> {
  if (answer.kind !== kind) throw new Error(`store answered a ${kind} read with a ${answer.kind} answer`);
  return answer as Extract<StoreAnswer, { kind: K }>;
}

/** Each caller gets a copy of its own (callers may sort or filter what they got). */
function copyOf(answer: StoreAnswer): StoreAnswer {
  switch (answer.kind) {
    case 'list': return { kind: 'list', rows: [...answer.rows] };
    case 'revisions': return { kind: 'revisions', revisions: new Map(answer.revisions) };
    case 'docs': return { kind: 'docs', docs: new Map(answer.docs) };
  }
}

/** `send`, telling `count` how many documents each request carries. */
function counted<In, Out>(send: (items: readonly In[]) => Promise<Out[]>, count: (docs: number) => void): (items: In[]) => Promise<Out[]> {
  return (items) => {
    count(items.length);
    return send(items);
  };
}

/** Per-kind sharing of identical reads, for a store that sends one read per request. */
interface ReadCoalescers {
  lists: ReadCoalescer<ListedDoc<object>[]>;
  docs: ReadCoalescer<Map<string, StoredDoc<object>>>;
  revisions: ReadCoalescer<Map<string, string>>;
}

export class GroupCommitStore implements RunStore {
  readonly description: string;
  readonly stats: GroupCommitStats = { createRequests: 0, createdDocs: 0, replaceRequests: 0, replacedDocs: 0, listRequests: 0, listCalls: 0, readRequests: 0, readCalls: 0, batchRequests: 0, batchedReads: 0 };
  private readonly creates?: Batcher<NewDoc, CreateResult>;
  private readonly replaces?: Batcher<StoredDoc<object>, ReplaceResult>;
  /**
   * Every read goes through one batcher when the store can send several in one request (`readMany`);
   * otherwise identical reads of each kind share a request.
   */
  private readonly reading: { batched: ReadBatcher } | { coalesced: ReadCoalescers };

  constructor(private readonly inner: RunStore) {
    this.description = inner.description;
    const createMany = inner.createMany?.bind(inner);
    if (createMany) {
      this.creates = new Batcher(counted(createMany, (docs) => { this.stats.createRequests += 1; this.stats.createdDocs += docs; }), (doc) => doc.id, BULK_CHUNK);
    }
    const replaceMany = inner.replaceMany?.bind(inner);
    if (replaceMany) {
      this.replaces = new Batcher(counted(replaceMany, (docs) => { this.stats.replaceRequests += 1; this.stats.replacedDocs += docs; }), (doc) => doc._id, BULK_CHUNK);
    }
    const readMany = inner.readMany?.bind(inner);
    const countReads = (calls: number) => { this.stats.readRequests += 1; this.stats.readCalls += calls; };
    this.reading = readMany ? { batched: new ReadBatcher(inner, readMany, this.stats) } : {
      coalesced: {
        lists: new ReadCoalescer((rows) => [...rows], (calls) => { this.stats.listRequests += 1; this.stats.listCalls += calls; }),
        docs: new ReadCoalescer((docs) => new Map(docs), countReads),
        revisions: new ReadCoalescer((revisions) => new Map(revisions), countReads),
      },
    };
  }

  ensureReady(): Promise<void> {
    return this.inner.ensureReady();
  }

  async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    if (!this.creates) return this.inner.createOnly(id, body);
    const [result] = await this.creates.submit([{ id, body }]);
    return result!.outcome;
  }

  get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    return this.inner.get<T>(id);
  }

  replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    return this.inner.replace(doc);
  }

  upsert<T extends object>(id: string, body: T): Promise<string> {
    return this.inner.upsert(id, body);
  }

  remove(id: string): Promise<boolean> {
    return this.inner.remove(id);
  }

  async listByPrefix<T extends object>(prefix: string, options: ListOptions = {}): Promise<ListedDoc<T>[]> {
    const key = JSON.stringify([prefix, options.includeDocs === true, options.limit, options.skip, options.descending === true, options.startKey, options.endKey]);
    if ('batched' in this.reading) {
      const answer = await this.reading.batched.submit(`list ${key}`, { kind: 'list', prefix, options });
      return answerOf(answer, 'list').rows as ListedDoc<T>[];
    }
    return this.reading.coalesced.lists.submit(key, () => this.inner.listByPrefix(prefix, options)) as Promise<ListedDoc<T>[]>;
  }

  get getMany(): (<T extends object>(ids: readonly string[]) => Promise<Map<string, StoredDoc<T>>>) | undefined {
    const getMany = this.inner.getMany?.bind(this.inner);
    if (!getMany) return undefined;
    const reading = this.reading;
    if ('batched' in reading) {
      return async <T extends object>(ids: readonly string[]) => {
        const answer = await reading.batched.submit(`docs ${JSON.stringify(ids)}`, { kind: 'docs', ids: [...ids] });
        return answerOf(answer, 'docs').docs as Map<string, StoredDoc<T>>;
      };
    }
    return <T extends object>(ids: readonly string[]) => reading.coalesced.docs.submit(JSON.stringify(ids), () => getMany<object>(ids)) as Promise<Map<string, StoredDoc<T>>>;
  }

  /** Which of `ids` exist, without their bodies; identical id lists share one request, as `getMany`'s do. */
  get revisions(): ((ids: readonly string[]) => Promise<Map<string, string>>) | undefined {
    const revisions = this.inner.revisions?.bind(this.inner);
    if (!revisions) return undefined;
    const reading = this.reading;
    if ('batched' in reading) {
      return async (ids: readonly string[]) => {
        const answer = await reading.batched.submit(`revisions ${JSON.stringify(ids)}`, { kind: 'revisions', ids: [...ids] });
        return answerOf(answer, 'revisions').revisions;
      };
    }
    return (ids: readonly string[]) => reading.coalesced.revisions.submit(JSON.stringify(ids), () => revisions(ids));
  }

  get createMany(): ((docs: readonly NewDoc[]) => Promise<CreateResult[]>) | undefined {
    const creates = this.creates;
    return creates ? (docs) => creates.submit(docs) : undefined;
  }

  get replaceMany(): ((docs: readonly StoredDoc<object>[]) => Promise<ReplaceResult[]>) | undefined {
    const replaces = this.replaces;
    return replaces ? (docs) => replaces.submit(docs) : undefined;
  }
}
