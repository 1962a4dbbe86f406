/**
 * The ContextStore's contract (inline small contexts, chunked large ones, compare-and-swap on the
 * head, garbage of finished runs), written once and checked on the in-memory store (unit) and on
 * the embedded CouchDB (test/integration/runtimes/streaming/context-store-couch.test.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { ContextStore, type StoredContext } from '../../../lib/runtimes/streaming/context-store';
import { CHUNK_PREFIX, chunkHash, runChunkPrefix, writeChunks } from '../../../lib/runtimes/streaming/context-chunks';
import type { StreamRunContext } from '../../../lib/runtimes/streaming/run-context';
import type { TaskRecord } from '../../../lib/core/run-state';
import type { Json } from '../../../lib/model/json';
import type { RunStore } from '../../../lib/store/run-store';

/** Ids the wrapped store was asked to write (create, replace, upsert) and to delete. */
export interface Counted {
  store: RunStore;
  writes: string[];
  deletes: string[];
}

/** Wraps `inner`, recording every write and delete and passing everything through (optional methods stay optional). */
export function counting(inner: RunStore): Counted {
  const writes: string[] = [];
  const deletes: string[] = [];
  const record: Record<string, (args: unknown[]) => void> = {
    createOnly: ([id]) => writes.push(id as string),
    createMany: ([docs]) => writes.push(...(docs as { id: string }[]).map((doc) => doc.id)),
    replace: ([doc]) => writes.push((doc as { _id: string })._id),
    replaceMany: ([docs]) => writes.push(...(docs as { _id: string }[]).map((doc) => doc._id)),
    upsert: ([id]) => writes.push(id as string),
    remove: ([id]) => deletes.push(id as string),
    removeMany: ([ids]) => deletes.push(...(ids as string[])),
  };
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const note = typeof property === 'string' ? record[property] : undefined;
      return (...args: unknown[]) => {
        note?.(args);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, writes, deletes };
}

function hex(n: number, length = 32): string {
  return createHash('sha256').update(String(n)).digest('hex').slice(0, length);
}

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

/** A run context shaped like a wide map's: `tasks` records, a fan-out wait with items and attempts, join results, seen ids. */
export function mapContext(runId: string, tasks: number, done = 0): StreamRunContext {
  const records: Record<string, TaskRecord> = {};
  const attempts: Record<string, number> = {};
  const items: Json[] = [];
  for (let i = 0; i < tasks; i += 1) {
    const taskKey = `fan.1.${i}.1`;
    records[taskKey] = { taskKey, stageId: 'fan', action: 'noop', status: 'started', startedAt: new Date(T0 + i).toISOString(), activationId: hex(i) };
    attempts[String(i)] = 1;
    items.push({ index: i, payload: hex(i + 1, 16) });
  }
  const context: StreamRunContext = {
    type: 'stream-run',
    runId,
    workflow: { name: 'fanout', version: '1', stages: [] } as unknown as StreamRunContext['workflow'],
    state: {
      runId, workflow: { name: 'fanout', version: '1' }, status: 'running', input: { n: tasks }, startedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(),
      threads: { root: { id: 'root', stageId: 'fan', seq: 1, data: { n: tasks }, joins: {}, wait: { kind: 'fan-out', items, concurrency: tasks, join: { expected: tasks, arrived: {}, count: 0 }, attempts } } },
      visits: { fan: 1 }, tasks: records, seenEventIds: [],
    },
    timers: {},
    triggers: {},
    partition: 3,
  };
  completeTasks(context, 0, done);
  return context;
}

/** Applies `count` completions from task `from` on, in place (what one batch does to a wide map). */
export function completeTasks(context: StreamRunContext, from: number, count: number): StreamRunContext {
  const { state } = context;
  const wait = state.threads.root!.wait;
  if (wait.kind !== 'fan-out') throw new Error('not a map context');
  for (let i = from; i < from + count; i += 1) {
    const taskKey = `fan.1.${i}.1`;
    const time = new Date(T0 + 1000 + i).toISOString();
    state.tasks[taskKey] = { ...state.tasks[taskKey]!, status: 'succeeded', endedAt: time };
    wait.join.arrived[String(i)] = { ok: true, index: i };
    wait.join.count = (wait.join.count ?? 0) + 1;
    state.seenEventIds.push(`${context.runId}/${taskKey}/completed/${hex(i, 8)}`);
    state.updatedAt = time;
  }
  return context;
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Plain data, as the store would give it back (drops the non-enumerable `chunks`). */
function plain(stored: StoredContext | undefined): unknown {
  return stored && copy(stored);
}

export function contextStoreContract(open: () => Promise<RunStore>): void {
  /** The chunk documents of `runId` (not those of a run `<runId>/...`, which share the id range). */
  const chunkIds = async (store: RunStore, runId: string): Promise<string[]> =>
    (await store.listByPrefix(runChunkPrefix(runId))).map((row) => row.id).filter((id) => /^[0-9a-f]{64}$/.test(id.slice(runChunkPrefix(runId).length)));

  it('stores a small context inline, exactly as before, in one write', async () => {
    const { store, writes } = counting(await open());
    const contexts = new ContextStore(store);
    const context = mapContext(`small-${randomUUID()}`, 20, 5);
    const saved = await contexts.save(copy(context), undefined);
    const head = await store.get(`stream/${context.runId}`);
    expect(head).toEqual({ ...context, _id: `stream/${context.runId}`, _rev: saved._rev });
    expect(writes).toEqual([`stream/${context.runId}`]);
    expect(saved.chunks).toBeUndefined();
    expect(await chunkIds(store, context.runId)).toEqual([]);
    expect(plain(await contexts.load(context.runId))).toEqual(plain(saved));
  });

  it('chunks a 10,000-task context and reads it back equal; a later save writes only the chunks around the edits', async () => {
    const { store, writes } = counting(await open());
    const contexts = new ContextStore(store);
    const runId = `big-${randomUUID()}`;
    const context = mapContext(runId, 10_000, 2_000);
    const first = await contexts.save(copy(context), undefined);
    const head = (await store.get<{ type: string; chunks: string[]; length: number; hasTimers: boolean; partition: number }>(`stream/${runId}`))!;
    expect(head).toMatchObject({ type: 'stream-run-chunked', runId, partition: 3, hasTimers: false });
    expect(JSON.stringify(head).length).toBeLessThan(20_000);
    const total = head.chunks.length;
    expect(total).toBeGreaterThan(50);
    expect(writes.filter((id) => id.startsWith(CHUNK_PREFIX))).toHaveLength(new Set(head.chunks).size);
    expect(first.chunks).toEqual(head.chunks);

    // A fresh engine (no cache) reads the context back whole.
    const loaded = await new ContextStore(store).load(runId);
    expect(plain(loaded)).toEqual({ ...context, _id: `stream/${runId}`, _rev: first._rev });
    expect(loaded!.chunks).toEqual(head.chunks);

    // A batch completing 50 tasks in a row: a handful of chunks around the edits, then the head.
    writes.length = 0;
    const second = await contexts.save(completeTasks(copy(context), 2_000, 50), first);
    const written = writes.filter((id) => id.startsWith(CHUNK_PREFIX));
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThanOrEqual(10);
    expect(writes.filter((id) => !id.startsWith(CHUNK_PREFIX))).toEqual([`stream/${runId}`]);
    // Over the checkpoint the fresh engine loaded too: its chunks are known there as well.
    writes.length = 0;
    const third = await new ContextStore(store).save(completeTasks(copy(plain(second) as StreamRunContext), 2_050, 50), (await contexts.load(runId))!);
    expect(writes.filter((id) => id.startsWith(CHUNK_PREFIX)).length).toBeLessThanOrEqual(10);
    expect(plain(await contexts.load(runId))).toEqual(plain(third));
    expect(third.state.seenEventIds).toHaveLength(2_100);
  });

  it('fences a zombie on the head; the zombie\'s chunks never change the winner\'s context', async () => {
    const store = await open();
    const runId = `zombie-${randomUUID()}`;
    const base = await new ContextStore(store).save(mapContext(runId, 5_000, 100), undefined);
    const owner = new ContextStore(store);
    const zombie = new ContextStore(store);
    const checkpoint = plain(base) as StreamRunContext;
    const won = await owner.save(completeTasks(copy(checkpoint), 100, 40), base);
    // The zombie applied other events to the same checkpoint: its new chunks land, its head does not.
    await expect(zombie.save(completeTasks(copy(checkpoint), 3_000, 40), base)).rejects.toMatchObject({ code: 'STORE_CONFLICT', name: 'StoreConflictError' });
    // A zombie creating a run that exists is fenced too.
    await expect(zombie.save(copy(checkpoint), undefined)).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    expect(plain(await owner.load(runId))).toEqual(plain(won));
    // The owner goes on from its checkpoint, sharing chunk ids with the zombie's where contents agree.
    const next = await owner.save(completeTasks(copy(plain(won) as StreamRunContext), 3_000, 40), won);
    expect(plain(await new ContextStore(store).load(runId))).toEqual(plain(next));
  });

  it('stores a finished run inline and deletes its chunks (only its own)', async () => {
    const { store, deletes } = counting(await open());
    const contexts = new ContextStore(store);
    // `r1` and `r10`, `r1/x`: the chunks of one run are not another's.
    const runId = `done-${randomUUID()}-r1`;
    const neighbour = `${runId}0`;
    const nested = `${runId}/x`;
    const other = await contexts.save(mapContext(neighbour, 3_000, 10), undefined);
    const inside = await contexts.save(mapContext(nested, 3_000, 10), undefined);
    let stored = await contexts.save(mapContext(runId, 3_000, 10), undefined);
    stored = await contexts.save(completeTasks(plain(stored) as StreamRunContext, 10, 100), stored);
    expect((await chunkIds(store, runId)).length).toBeGreaterThan(10);

    const finished = completeTasks(plain(stored) as StreamRunContext, 110, 2_890);
    finished.state.status = 'succeeded';
    finished.state.result = { n: 3_000 };
    const last = await contexts.save(finished, stored);
    expect(last.chunks).toBeUndefined();
    expect(await store.get(`stream/${runId}`)).toEqual({ ...finished, _id: `stream/${runId}`, _rev: last._rev });
    expect(await chunkIds(store, runId)).toEqual([]);
    expect(deletes.length).toBeGreaterThan(10);
    expect(plain(await contexts.load(neighbour))).toEqual(plain(other));
    expect(plain(await contexts.load(nested))).toEqual(plain(inside));
    // Saving the finished run again (a late event) deletes nothing more and stays inline.
    deletes.length = 0;
    await contexts.save({ ...finished, stageVisits: { 'fan:1': { position: 0, stageId: 'fan', taskCount: 3_000, startedAt: 0 } } }, last);
    expect(deletes).toEqual([]);
  });

  it('deletes the chunks a finished run left behind, and keeps those of running runs and of heads not yet written', async () => {
    const store = await open();
    // An engine whose deletes fail: it finishes the run and leaves its chunks, as one that died
    // between the finishing save and its garbage collection does.
    const failedDeletes: string[] = [];
    const failingDeletes = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'remove' || property === 'removeMany') return () => Promise.reject(new Error('store went away'));
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const dying = new ContextStore(failingDeletes, { onGarbageError: (runId) => failedDeletes.push(runId) });
    const finishedId = `left-${randomUUID()}`;
    const stored = await dying.save(mapContext(finishedId, 3_000, 10), undefined);
    const finished = completeTasks(plain(stored) as StreamRunContext, 10, 2_990);
    finished.state.status = 'succeeded';
    await dying.save(finished, stored);
    expect(failedDeletes).toEqual([finishedId]);
    const leftBehind = (await chunkIds(store, finishedId)).length;
    expect(leftBehind).toBeGreaterThan(10);

    const contexts = new ContextStore(store);
    const runningId = `${finishedId}/running`;
    const running = await contexts.save(mapContext(runningId, 3_000, 10), undefined);
    // A first checkpoint writes its chunks before its head: between the two, no head names them.
    const headlessId = `headless-${randomUUID()}`;
    await writeChunks(store, headlessId, ['{"a":', '1}'], [chunkHash('{"a":'), chunkHash('1}')], new Set());

    const report = await contexts.collectLeftoverChunks();
    expect(report.finishedRuns).toBeGreaterThanOrEqual(1);
    expect(report.removed).toBeGreaterThanOrEqual(leftBehind);
    expect(report.runsWithChunks).toBeGreaterThanOrEqual(3);
    expect(await chunkIds(store, finishedId)).toEqual([]);
    expect(plain(await contexts.load(runningId))).toEqual(plain(running));
    expect(await chunkIds(store, headlessId)).toHaveLength(2);
    // A second pass finds nothing more of these runs to delete.
    const again = await contexts.collectLeftoverChunks();
    expect(await chunkIds(store, headlessId)).toHaveLength(2);
    expect(again.removed).toBe(0);
  });

  it('refuses to rebuild a context whose chunk is missing or altered, naming the run and the chunk', async () => {
    const store = await open();
    const contexts = new ContextStore(store);
    const runId = `lost-${randomUUID()}`;
    await contexts.save(mapContext(runId, 3_000), undefined);
    const [first, second] = await chunkIds(store, runId);
    expect(await store.remove(first!)).toBe(true);
    await expect(contexts.load(runId)).rejects.toMatchObject({ name: 'CheckpointChunkError', code: 'STORE_UNAVAILABLE', details: { runId, chunkId: first, problem: 'missing' } });
    await store.upsert(first!, { type: 'stream-chunk', runId, text: 'not the text' });
    await expect(contexts.load(runId)).rejects.toMatchObject({ name: 'CheckpointChunkError', details: { chunkId: first, problem: 'corrupt' } });
    expect(second).toBeDefined();
  });

  it('lists the timers of running runs, chunked or inline, by partition', async () => {
    const store = await open();
    const contexts = new ContextStore(store);
    const timer = (id: string) => ({ id, due: new Date(T0).toISOString(), action: { kind: 'tick' as const } });
    const prefix = randomUUID();
    const big = { ...mapContext(`${prefix}-big`, 3_000), timers: { t1: timer('t1') } };
    const quiet = mapContext(`${prefix}-quiet`, 3_000);
    const small = { ...mapContext(`${prefix}-small`, 5), timers: { t2: timer('t2') }, partition: 1 };
    for (const context of [big, quiet, small]) await contexts.save(context, undefined);
    const heads = (await store.listByPrefix<{ type: string; runId: string }>('stream/', { includeDocs: true })).map((row) => row.doc!);
    expect(heads.find((head) => head.runId === big.runId)).toMatchObject({ type: 'stream-run-chunked', hasTimers: true });
    const mine = (found: { runId: string }[]) => found.filter((entry) => entry.runId.startsWith(prefix)).sort((a, b) => a.runId.localeCompare(b.runId));
    expect(mine(await contexts.withTimers())).toEqual([
      { runId: big.runId, timers: big.timers, partition: 3 },
      { runId: small.runId, timers: small.timers, partition: 1 },
    ]);
    expect(mine(await contexts.withTimers([1]))).toEqual([{ runId: small.runId, timers: small.timers, partition: 1 }]);
  });
}
