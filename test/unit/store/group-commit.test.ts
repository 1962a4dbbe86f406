import { createAll, replaceAll } from '../../../lib/store/bulk';
import { GroupCommitStore } from '../../../lib/store/group-commit';
import { MemoryRunStore } from '../../../lib/store/memory';
import { readEach, type CreateResult, type ListOptions, type ListedDoc, type NewDoc, type ReplaceResult, type StoreAnswer, type StoreRead, type StoredDoc } from '../../../lib/store/run-store';

/**
 * A memory store whose bulk and list requests are recorded and held until released, so that a test
 * decides what arrives while a request is in flight (no timing involved).
 */
class HeldStore extends MemoryRunStore {
  readonly creates: string[][] = [];
  readonly replaces: string[][] = [];
  readonly lists: string[] = [];
  private held: (() => void)[] = [];
  holding = true;

  private async hold(): Promise<void> {
    if (!this.holding) return;
    await new Promise<void>((resolve) => this.held.push(resolve));
  }

  /** Lets every held request go on; returns how many there were. */
  release(): number {
    const released = this.held;
    this.held = [];
    for (const resolve of released) resolve();
    return released.length;
  }

  override async createMany(docs: readonly NewDoc[]): Promise<CreateResult[]> {
    this.creates.push(docs.map((doc) => doc.id));
    await this.hold();
    return super.createMany(docs);
  }

  override async replaceMany(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
    this.replaces.push(docs.map((doc) => doc._id));
    await this.hold();
    return super.replaceMany(docs);
  }

  override async listByPrefix<T extends object>(prefix: string, options?: ListOptions): Promise<ListedDoc<T>[]> {
    this.lists.push(prefix);
    // Read when sent, answered when released: like a server that evaluated the request already.
    const rows = await super.listByPrefix<T>(prefix, options);
    await this.hold();
    return rows;
  }

  readonly batches: StoreRead[][] = [];

  override async readMany(reads: readonly StoreRead[]): Promise<StoreAnswer[]> {
    this.batches.push([...reads]);
    // Evaluated apart from the held listings above (those are the lone reads' own requests).
    const answers = await readEach(new Unheld(this), reads);
    await this.hold();
    return answers;
  }
}

/** The documents of a HeldStore, read without holding or recording. */
class Unheld {
  constructor(private readonly store: HeldStore) {}
  listByPrefix<T extends object>(prefix: string, options?: ListOptions): Promise<ListedDoc<T>[]> {
    return MemoryRunStore.prototype.listByPrefix.call(this.store, prefix, options) as Promise<ListedDoc<T>[]>;
  }
  revisions(ids: readonly string[]): Promise<Map<string, string>> {
    return MemoryRunStore.prototype.revisions.call(this.store, ids);
  }
  getMany<T extends object>(ids: readonly string[]): Promise<Map<string, StoredDoc<T>>> {
    return MemoryRunStore.prototype.getMany.call(this.store, ids) as Promise<Map<string, StoredDoc<T>>>;
  }
}

/** `store` as a store that cannot send several reads in one request (each read is its own). */
function withoutReadMany<S extends HeldStore>(store: S): S {
  return Object.assign(store, { readMany: undefined });
}

/** `call`, failing its first use as a store that went down would. */
function failingOnce<A extends unknown[], R>(call: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let failed = false;
  return async (...args) => {
    if (!failed) {
      failed = true;
      throw new Error('store down');
    }
    return call(...args);
  };
}

/** Lets queued promise callbacks run (the stores yield once per call). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('GroupCommitStore', () => {
  it('sends the first create at once and the creates that arrive meanwhile in one request', async () => {
    const inner = new HeldStore();
    const store = new GroupCommitStore(inner);
    const first = store.createOnly('a/0', { n: 0 });
    await settle();
    const rest = Array.from({ length: 20 }, (_, i) => store.createOnly(`a/${i + 1}`, { n: i + 1 }));
    await settle();
    expect(inner.creates).toEqual([['a/0']]);
    inner.release();
    await settle();
    expect(inner.creates).toHaveLength(2);
    expect(inner.creates[1]).toHaveLength(20);
    inner.holding = false;
    inner.release();
    expect(await first).toBe('created');
    expect(await Promise.all(rest)).toEqual(Array(20).fill('created'));
    expect(store.stats).toMatchObject({ createRequests: 2, createdDocs: 21 });
  });

  it('never sends one id twice in a request and lets exactly one concurrent creator win', async () => {
    const inner = new HeldStore();
    const store = new GroupCommitStore(inner);
    const blocker = store.createOnly('other', {});
    await settle();
    const racers = Array.from({ length: 10 }, (_, i) => store.createOnly('stage/r/0002', { by: i }));
    const bulk = createAll(store, [{ id: 'stage/r/0002', body: { by: 'bulk' } }, { id: 'x', body: {} }]);
    inner.holding = false;
    inner.release();
    const outcomes = await Promise.all(racers);
    const [bulkStage, bulkX] = await bulk;
    await blocker;
    for (const request of inner.creates) expect(new Set(request).size).toBe(request.length);
    const winners = outcomes.filter((outcome) => outcome === 'created').length + (bulkStage!.outcome === 'created' ? 1 : 0);
    expect(winners).toBe(1);
    expect(bulkX).toMatchObject({ id: 'x', outcome: 'created' });
    const stored = await inner.get<{ by: number | string }>('stage/r/0002');
    const winner = outcomes.indexOf('created');
    expect(stored!.by).toBe(winner >= 0 ? winner : 'bulk');
  });

  it('answers each document of a shared request as the store decided it', async () => {
    const inner = new HeldStore();
    inner.holding = false;
    await inner.createOnly('taken', { old: true });
    const store = new GroupCommitStore(inner);
    const [a, b] = await Promise.all([
      createAll(store, [{ id: 'taken', body: {} }, { id: 'fresh/1', body: {} }]),
      createAll(store, [{ id: 'fresh/2', body: {} }]),
    ]);
    expect(a.map((result) => result.outcome)).toEqual(['exists', 'created']);
    expect(b[0]).toMatchObject({ id: 'fresh/2', outcome: 'created', rev: expect.any(String) });
    expect((await inner.get<{ old?: boolean }>('taken'))!.old).toBe(true);
  });

  it('reports a replace with a stale revision as a conflict without failing the others in its request', async () => {
    const inner = new HeldStore();
    inner.holding = false;
    await inner.createOnly('c/1', { v: 0 });
    await inner.createOnly('c/2', { v: 0 });
    const store = new GroupCommitStore(inner);
    const one = (await inner.get<{ v: number }>('c/1'))!;
    const two = (await inner.get<{ v: number }>('c/2'))!;
    await inner.replace({ ...two, v: 9 });
    const updates: StoredDoc<{ v: number }>[] = [{ ...one, v: 1 }, { ...two, v: 1 }];
    const [first, second] = await Promise.all(updates.map((doc) => replaceAll(store, [doc])));
    expect(first![0]).toMatchObject({ id: 'c/1', rev: expect.any(String) });
    expect(second![0]).toEqual({ id: 'c/2', conflict: true });
    expect((await inner.get<{ v: number }>('c/2'))!.v).toBe(9);
  });

  it.each([['on its own', true], ['in batches of reads', false]] as const)('shares a listing only with callers that asked before it was sent, so each sees its own writes (reads %s)', async (_mode, alone) => {
    const inner = alone ? withoutReadMany(new HeldStore()) : new HeldStore();
    const store = new GroupCommitStore(inner);
    inner.holding = false;
    await store.createOnly('result/r/1', {});
    inner.holding = true;
    const early = store.listByPrefix('result/r/');
    await settle();
    // Written after the first listing left: a caller that wrote it must not get that listing's answer.
    inner.holding = false;
    await store.createOnly('result/r/2', {});
    inner.holding = true;
    const late = [store.listByPrefix('result/r/'), store.listByPrefix('result/r/')];
    await settle();
    expect(inner.lists).toEqual(['result/r/']);
    inner.release();
    expect((await early).map((row) => row.id)).toEqual(['result/r/1']);
    await settle();
    expect(inner.lists).toEqual(['result/r/', 'result/r/']);
    inner.holding = false;
    inner.release();
    for (const rows of await Promise.all(late)) expect(rows.map((row) => row.id)).toEqual(['result/r/1', 'result/r/2']);
    expect(store.stats).toMatchObject({ listRequests: 2, listCalls: 3 });
  });

  // `getMany` reads the documents, `revisions` only which of them exist (their revisions): both are shared alike.
  it.each(['getMany', 'revisions'] as const)('shares a %s of the same ids only among callers that asked before it was sent', async (operation) => {
    const inner = withoutReadMany(new HeldStore());
    inner.holding = false;
    const reads: string[][] = [];
    const read = inner[operation].bind(inner) as (ids: readonly string[]) => Promise<Map<string, unknown>>;
    Object.assign(inner, { [operation]: async (ids: readonly string[]) => { reads.push([...ids]); return read(ids); } });
    const store = new GroupCommitStore(inner);
    const call = (ids: readonly string[]) => store[operation]!(ids) as Promise<Map<string, unknown>>;
    await store.createOnly('result/r/1', { n: 1 });
    const ids = ['result/r/1', 'result/r/2', 'stage/r/1'];
    // The first leaves at once; the two that ask while it is in flight share the next one.
    const answers = await Promise.all([call(ids), call(ids), call(ids)]);
    expect(reads).toHaveLength(2);
    for (const found of answers) expect([...found.keys()]).toEqual(['result/r/1']);
    expect(answers[1]).not.toBe(answers[2]);
    await store.createOnly('result/r/2', { n: 2 });
    expect([...(await call(ids)).keys()]).toEqual(['result/r/1', 'result/r/2']);
    expect(store.stats).toMatchObject({ readRequests: 3, readCalls: 4 });
  });

  it('sends the reads asked in one turn in one request, each answered as its own request would be', async () => {
    const inner = new HeldStore();
    inner.holding = false;
    await createAll(inner, ['result/r/1/0', 'result/r/1/1', 'result/r/1/2', 'stage/r/1'].map((id) => ({ id, body: { id } })));
    const store = new GroupCommitStore(inner);
    // A map completion's reads: is its bucket full (its last row), has the stage been left; and a getMany.
    const [full, left, docs] = await Promise.all([
      store.listByPrefix('result/r/1/', { skip: 2, limit: 1 }),
      store.revisions!(['stage/r/2']),
      store.getMany!(['stage/r/1', 'result/r/9']),
    ]);
    expect(inner.batches).toHaveLength(1);
    expect(inner.batches[0]!.map((read) => read.kind)).toEqual(['list', 'revisions', 'docs']);
    expect(inner.lists).toEqual([]);
    expect(full).toEqual([{ id: 'result/r/1/2' }]);
    expect(left.size).toBe(0);
    expect([...docs.keys()]).toEqual(['stage/r/1']);
    expect(store.stats).toMatchObject({ batchRequests: 1, batchedReads: 3, listRequests: 0, readRequests: 0, listCalls: 1, readCalls: 2 });
  });

  it('sends a lone read as its own request; the reads that arrive while it is in flight leave together, identical ones as one', async () => {
    const inner = new HeldStore();
    const store = new GroupCommitStore(inner);
    inner.holding = false;
    await createAll(inner, ['result/r/0/0', 'result/r/1/0', 'stage/r/1'].map((id) => ({ id, body: {} })));
    inner.holding = true;
    const lone = store.listByPrefix('result/r/0/');
    await settle();
    expect(inner.lists).toEqual(['result/r/0/']);
    const waiting = [
      store.listByPrefix('result/r/1/', { skip: 0, limit: 1 }),
      store.listByPrefix('result/r/1/', { skip: 0, limit: 1 }),
      store.revisions!(['stage/r/1']),
      store.listByPrefix('result/r/0/'),
    ];
    await settle();
    expect(inner.batches).toHaveLength(0);
    inner.release();
    expect((await lone).map((row) => row.id)).toEqual(['result/r/0/0']);
    await settle();
    expect(inner.batches).toHaveLength(1);
    expect(inner.batches[0]).toHaveLength(3);
    inner.holding = false;
    inner.release();
    const [first, second, revisions, again] = await Promise.all(waiting);
    expect(first).toEqual([{ id: 'result/r/1/0' }]);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    expect([...(revisions as Map<string, string>).keys()]).toEqual(['stage/r/1']);
    expect((again as ListedDoc<object>[]).map((row) => row.id)).toEqual(['result/r/0/0']);
    expect(store.stats).toMatchObject({ listRequests: 1, batchRequests: 1, batchedReads: 3, listCalls: 4, readCalls: 1 });
  });

  it('fails every read of a failed batch and goes on with the next one', async () => {
    const inner = new HeldStore();
    inner.holding = false;
    inner.readMany = failingOnce(inner.readMany.bind(inner));
    const store = new GroupCommitStore(inner);
    const failing = Promise.allSettled([store.listByPrefix('a/'), store.revisions!(['b'])]);
    expect((await failing).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await inner.createOnly('a/1', {});
    const [rows, revisions] = await Promise.all([store.listByPrefix('a/'), store.revisions!(['a/1'])]);
    expect(rows.map((row) => row.id)).toEqual(['a/1']);
    expect(revisions.size).toBe(1);
  });

  it('fails every caller of a failed shared request and goes on with the next one', async () => {
    const inner = new HeldStore();
    inner.holding = false;
    inner.createMany = failingOnce(inner.createMany.bind(inner));
    const store = new GroupCommitStore(inner);
    const failing = createAll(store, [{ id: 'f/1', body: {} }, { id: 'f/2', body: {} }]);
    await expect(failing).rejects.toThrow('store down');
    expect(await store.createOnly('f/1', {})).toBe('created');
  });
});
