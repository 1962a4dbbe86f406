/**
 * The write-behind activation store: records are readable at once, written in few large `_bulk_docs`
 * batches, and everything queued is written by close(). Uses an in-memory stand-in for the database.
 */
import { ActivationStore } from '../../../lib/platform/persistence/activation-store';
import { ActivationRecord, responseOf } from '../../../lib/platform/activation-record';

function recordingDb() {
  const batches: number[] = [];
  const stored = new Map<string, unknown>();
  let release: (() => void) | undefined;
  let holdNext = false;
  let signalStarted: (() => void) | undefined;
  const db: any = {
    changes: async () => ({ results: [] }),
    fetchRevs: async ({ keys }: { keys: string[] }) => ({ rows: keys.map((key) => (stored.has(key) ? { key, id: key, value: { rev: '1-x' } } : { key, error: 'not_found' })) }),
    get: async (id: string) => { if (!stored.has(id)) throw Object.assign(new Error('missing'), { statusCode: 404 }); return stored.get(id); },
    bulk: async ({ docs }: { docs: { _id: string }[] }) => {
      batches.push(docs.length);
      if (holdNext) {
        holdNext = false;
        const held = new Promise<void>((resolve) => { release = resolve; });
        signalStarted?.();
        await held;
      }
      for (const doc of docs) stored.set(doc._id, doc);
      return docs.map((doc) => ({ ok: true, id: doc._id, rev: '1-x' }));
    },
  };
  /** Holds the next bulk write; the returned promise resolves once that write has begun. */
  const hold = () => { holdNext = true; return new Promise<void>((resolve) => { signalStarted = resolve; }); };
  return { db, batches, stored, hold, release: () => release?.() };
}

let counter = 0;
function record(namespace = 'guest', start = Date.now()): ActivationRecord {
  counter += 1;
  return {
    namespace, name: 'a', version: '0.0.1', subject: namespace, activationId: counter.toString(16).padStart(32, '0'), start, end: start, duration: 0,
    response: responseOf('success', {}), logs: [], annotations: [], publish: false,
  };
}

test('records are readable before they are written, and one flush writes them in one batch', async () => {
  const { db, batches, stored } = recordingDb();
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000 });
  const records = Array.from({ length: 10 }, () => record());
  for (const item of records) store.add(item);
  expect(await store.get('guest', records[3]!.activationId)).toBe(records[3]);
  expect(batches).toEqual([]);
  await store.flush();
  expect(batches).toEqual([10]);
  expect(stored.size).toBe(10);
  await store.close();
});

test('records arriving during a write wait for the next flush instead of trickling out one by one', async () => {
  const { db, batches, hold, release } = recordingDb();
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000 });
  store.add(record());
  store.add(record());
  const started = hold();
  const first = store.flush();
  await started;
  for (let i = 0; i < 5; i++) store.add(record());
  release();
  await first;
  expect(batches).toEqual([2]);
  expect(store.pendingCount).toBe(5);
  await store.close();
  expect(batches).toEqual([2, 5]);
  expect(store.pendingCount).toBe(0);
});

test('a full batch is written without waiting for the timer; lists are per namespace, newest first, filtered', async () => {
  const { db, batches } = recordingDb();
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000, batchSize: 3 });
  store.add(record('guest', 1));
  store.add(record('other', 2));
  store.add(record('guest', 3));
  await store.flush();
  expect(batches[0]).toBe(3);
  const listed = store.list('guest', {}, () => true);
  expect(listed.map((item) => item.start)).toEqual([3, 1]);
  expect(store.list('guest', { since: 2 }, () => true).map((item) => item.start)).toEqual([3]);
  await store.close();
});

test('beyond the cache size the oldest records leave memory but stay readable from the database', async () => {
  const { db } = recordingDb();
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000, cacheSize: 2 });
  const oldest = record('guest', 1);
  store.add(oldest);
  store.add(record('guest', 2));
  store.add(record('guest', 3));
  await store.flush();
  expect(store.list('guest', {}, () => true)).toHaveLength(2);
  expect((await store.get('guest', oldest.activationId))?.start).toBe(1);
  await store.close();
});

test('close() waits for a batch that is being written when it is called', async () => {
  const { db, batches, stored, hold, release } = recordingDb();
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000 });
  for (let i = 0; i < 4; i++) store.add(record());
  const started = hold();
  void store.flush();
  await started;
  // Nothing is queued any more, but the batch is not stored yet.
  expect(store.pendingCount).toBe(0);
  const closing = store.close().then(() => 'closed');
  // close() must still be waiting for the held write once every pending microtask has run.
  const first = await Promise.race([closing, new Promise((resolve) => setImmediate(() => resolve('still waiting')))]);
  expect(first).toBe('still waiting');
  release();
  await closing;
  expect(batches).toEqual([4]);
  expect(stored.size).toBe(4);
});

test('many queued records go out in requests of at most 100, one after another, so that other clients of the database get turns', async () => {
  const { db, batches } = recordingDb();
  let inFlight = 0;
  let overlapped = false;
  const bulk = db.bulk;
  db.bulk = async (body: unknown) => {
    inFlight += 1;
    if (inFlight > 1) overlapped = true;
    try { return await bulk(body); } finally { inFlight -= 1; }
  };
  const store = await ActivationStore.open(db, { flushDelayMs: 60_000 });
  for (let i = 0; i < 250; i++) store.add(record());
  await store.close();
  expect(batches.reduce((a, b) => a + b, 0)).toBe(250);
  expect(Math.max(...batches)).toBeLessThanOrEqual(100);
  expect(overlapped).toBe(false);
});

test('a read of a started activation answers "no record yet" without asking the database, until it is recorded', async () => {
  const { db } = recordingDb();
  const gets: string[] = [];
  const get = db.get;
  db.get = async (id: string) => { gets.push(id); return get(id); };
  const store = await ActivationStore.open(db, { cacheSize: 1 });
  const running = record();
  store.started('guest', running.activationId);
  expect(await store.get('guest', running.activationId)).toBeUndefined();
  expect(gets).toEqual([]);
  store.add(running);
  expect(await store.get('guest', running.activationId)).toBe(running);
  // Evicted from memory (cacheSize 1) once recorded: read from the database again, not taken as running.
  store.add(record());
  await store.flush();
  expect(await store.get('guest', running.activationId)).toMatchObject({ activationId: running.activationId });
  expect(gets).toEqual([`guest/${running.activationId}`]);
  // An id this platform never started is looked up as before.
  expect(await store.get('guest', 'f'.repeat(32))).toBeUndefined();
  expect(gets).toHaveLength(2);
  await store.close();
});

describe('the byte budget of the memory window', () => {
  const logging = (megabytes: number, start: number): ActivationRecord => ({
    ...record('guest', start),
    logs: Array.from({ length: megabytes * 1024 }, (_unused, index) => `2026-12-07T00:00:00.000Z stdout: ${String(index).padEnd(990, 'x')}`),
  });

  test('records logging megabytes each are evicted by size, the accounted bytes stay under the budget, and none is lost', async () => {
    const { db, stored } = recordingDb();
    const budget = 32 * 1024 * 1024;
    const store = await ActivationStore.open(db, { cacheBytes: budget, flushDelayMs: 60_000 });
    const records: ActivationRecord[] = [];
    for (let index = 0; index < 12; index++) {
      const item = logging(10, 1000 + index);
      records.push(item);
      store.add(item);
      expect(store.cachedBytes).toBeLessThanOrEqual(budget);
    }
    // Three records of ~10 MB fit; the list shows only what is in memory, newest first.
    const listed = store.list('guest', {}, () => true);
    expect(listed.map((item) => item.activationId)).toEqual(records.slice(-3).reverse().map((item) => item.activationId));
    // An evicted record not yet written is read from the write queue...
    expect(await store.get('guest', records[0]!.activationId)).toBe(records[0]);
    await store.close();
    // ...and once written, from the database.
    expect(stored.size).toBe(12);
    expect((await store.get('guest', records[0]!.activationId))?.logs).toHaveLength(10 * 1024);
  });

  test('queued records go out in requests of at most batchBytes (one record at least)', async () => {
    const { db, batches } = recordingDb();
    const store = await ActivationStore.open(db, { batchBytes: 25 * 1024 * 1024, flushDelayMs: 60_000 });
    for (let index = 0; index < 5; index++) store.add(logging(10, 2000 + index));
    await store.close();
    expect(batches.reduce((sum, size) => sum + size, 0)).toBe(5);
    expect(Math.max(...batches)).toBeLessThanOrEqual(2);
  });

  test('a record larger than the whole budget is still readable and written', async () => {
    const { db, stored } = recordingDb();
    const store = await ActivationStore.open(db, { cacheBytes: 1024 * 1024, flushDelayMs: 60_000 });
    const big = logging(2, 3000);
    store.add(big);
    expect(store.cachedBytes).toBe(0);
    expect(await store.get('guest', big.activationId)).toBe(big);
    await store.close();
    expect(stored.has(`guest/${big.activationId}`)).toBe(true);
  });
});

describe('the activation journal', () => {
  const { mkdtempSync, readFileSync, rmSync, statSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
  const { join } = jest.requireActual<typeof import('node:path')>('node:path');
  const { tmpdir } = jest.requireActual<typeof import('node:os')>('node:os');
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'whiskflow-journal-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const startOf = (item: ActivationRecord, extra: { cause?: string; conductor?: boolean } = {}) => ({
    namespace: item.namespace, activationId: item.activationId, name: item.name, version: item.version, subject: item.subject, start: item.start,
    annotations: extra.conductor ? [{ key: 'conductor', value: true }] : [], ...(extra.cause ? { cause: extra.cause } : {}),
  });

  test('a platform that died before writing its records: the next one writes them, and records the activations that were running as lost', async () => {
    const journalFile = join(dir, 'activations.journal');
    const crashed = await ActivationStore.open(recordingDb().db, { flushDelayMs: 60_000, journalFile });
    const composition = record('guest', 1000);
    const first = { ...record('guest', 1001), cause: composition.activationId };
    const second = { ...record('guest', 1002), cause: composition.activationId };
    const plain = record('guest', 1003);
    crashed.started('guest', composition.activationId, startOf(composition, { conductor: true }));
    crashed.started('guest', first.activationId, startOf(first, { cause: composition.activationId }));
    crashed.add(first);
    crashed.started('guest', second.activationId, startOf(second, { cause: composition.activationId }));
    crashed.started('guest', plain.activationId, startOf(plain));
    // kill -9: no flush, no close.

    const { db, stored } = recordingDb();
    const restarted = await ActivationStore.open(db, { flushDelayMs: 60_000, journalFile });
    expect(restarted.recovered).toEqual({ ended: 1, lost: 3 });
    expect(stored.size).toBe(4);
    expect(await restarted.get('guest', first.activationId)).toEqual(first);
    for (const item of [second, plain]) {
      expect(await restarted.get('guest', item.activationId)).toMatchObject({
        activationId: item.activationId, start: item.start, response: { status: 'whisk internal error', success: false, result: { error: expect.stringContaining('lost') } },
      });
    }
    // The composition's record lists its components, as a finished one's would.
    expect(await restarted.get('guest', composition.activationId)).toMatchObject({ logs: [first.activationId, second.activationId], annotations: [{ key: 'conductor', value: true }] });
    // Written: the journal starts afresh, and a third start finds nothing to recover.
    expect(statSync(journalFile).size).toBe(0);
    await restarted.close();
    const third = await ActivationStore.open(recordingDb().db, { journalFile });
    expect(third.recovered).toEqual({ ended: 0, lost: 0 });
    await third.close();
    // Only now (its timers would keep the test process alive): the crashed store's journal is the restarted one's now.
    await crashed.close();
  });

  test('a cut last line (the crash came mid-write) is skipped; records CouchDB has are not written again', async () => {
    const journalFile = join(dir, 'activations.journal');
    const crashed = await ActivationStore.open(recordingDb().db, { flushDelayMs: 60_000, journalFile });
    const done = record();
    crashed.add(done);
    const { appendFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    appendFileSync(journalFile, '{"s":{"namespace":"gue');
    const { db, stored, batches } = recordingDb();
    stored.set(`guest/${done.activationId}`, { ...done, _id: `guest/${done.activationId}`, _rev: '1-a' });
    db.list = async () => ({ rows: [...stored.entries()].map(([id, doc]) => ({ id, doc })) });
    const restarted = await ActivationStore.open(db, { journalFile });
    expect(restarted.recovered).toEqual({ ended: 0, lost: 0 });
    expect(batches).toEqual([]);
    await restarted.close();
    await crashed.close();
  });

  test('the journal starts afresh once big, keeping what is running or unwritten; close keeps what could not be written', async () => {
    const journalFile = join(dir, 'activations.journal');
    const { db, stored } = recordingDb();
    const store = await ActivationStore.open(db, { flushDelayMs: 60_000, journalFile, journalMaxBytes: 2_000 });
    const running = record();
    store.started('guest', running.activationId, startOf(running));
    for (let i = 0; i < 50; i++) { const item = record(); store.started('guest', item.activationId, startOf(item)); store.add(item); await store.flush(); }
    expect(statSync(journalFile).size).toBeLessThan(4_000);
    expect(readFileSync(journalFile, 'utf8')).toContain(running.activationId);
    expect(stored.size).toBe(50);
    const unwritten = record();
    db.bulk = async () => { throw new Error('CouchDB is down'); };
    store.add(unwritten);
    await store.close();
    const { db: next, stored: nextStored } = recordingDb();
    const reopened = await ActivationStore.open(next, { journalFile });
    expect(reopened.recovered).toEqual({ ended: 1, lost: 1 });
    expect([...nextStored.keys()].sort()).toEqual([`guest/${running.activationId}`, `guest/${unwritten.activationId}`].sort());
    await reopened.close();
  });
});
