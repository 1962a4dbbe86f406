import { runsPage } from '../../../lib/dashboard/data';
import { runSummary as runPage } from '../../../lib/dashboard/run-summary';
import { createDashboardHandler } from '../../../lib/dashboard/handler';
import { StoreCopies } from '../../../lib/dashboard/store-copies';
import { StoreWatch, type ChangedDoc, type ReadChanges } from '../../../lib/dashboard/store-watch';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type InvokeDoc, type ResultDoc, type RunDoc, type StageDoc } from '../../../lib/store/run-documents';
import type { ListOptions, RunStore, StoredDoc } from '../../../lib/store/run-store';

/** A memory store that logs the id of every write, and a changes feed over that log (latest revisions, like CouchDB's). */
function loggedStore() {
  const store = new MemoryRunStore();
  const log: string[] = [];
  const listings: string[] = [];
  const logged = <A extends unknown[], R>(call: (...args: A) => Promise<R>, id: (...args: A) => string) => async (...args: A): Promise<R> => {
    const result = await call(...args);
    log.push(id(...args));
    return result;
  };
  const backing: RunStore = {
    description: 'logged memory',
    ensureReady: () => store.ensureReady(),
    createOnly: logged((id: string, body: object) => store.createOnly(id, body), (id) => id),
    replace: logged((doc: StoredDoc<object>) => store.replace(doc), (doc) => doc._id),
    upsert: logged((id: string, body: object) => store.upsert(id, body), (id) => id),
    remove: logged((id: string) => store.remove(id), (id) => id),
    get: (id) => store.get(id),
    listByPrefix: <T extends object>(prefix: string, options?: ListOptions) => {
      listings.push(prefix);
      return store.listByPrefix<T>(prefix, options);
    },
  };
  const reads: string[] = [];
  const read: ReadChanges = async (since, limit) => {
    reads.push(since ?? 'now');
    if (since === undefined) return { results: [], lastSeq: String(log.length) };
    const ids = [...new Set(log.slice(Number(since), Number(since) + limit))];
    const results = await Promise.all(ids.map(async (id): Promise<ChangedDoc> => {
      const doc = await store.get<Record<string, unknown>>(id);
      return doc ? { id, doc } : { id, deleted: true };
    }));
    return { results, lastSeq: String(Math.min(log.length, Number(since) + limit)) };
  };
  return { backing, read, listings, reads };
}

const RUN = '0001-wide';
const head = (status: RunDoc['status'], endedAt?: number): RunDoc => ({ type: 'run', runId: RUN, workflow: 'w', input: {}, status, startedAt: 1000, ...(endedAt ? { endedAt } : {}) });

async function startRun(store: RunStore, tasks: number): Promise<void> {
  await store.createOnly(docIds.run(RUN), head('running'));
  await store.createOnly(docIds.stage(RUN, 1), { type: 'stage', runId: RUN, position: 1, stageId: 'fan', data: null, taskCount: tasks, window: 10, startedAt: 1000 } satisfies StageDoc);
}
const invoke = (store: RunStore, index: number) => store.createOnly(docIds.invoke(RUN, 1, index, 1), { type: 'invoke', runId: RUN, position: 1, index, attempt: 1, claimedAt: 1000 + index, invokedAt: 1000 + index } satisfies InvokeDoc);
const result = (store: RunStore, index: number, tasks: number) => store.createOnly(docIds.result(RUN, 1, index, tasks), { type: 'result', runId: RUN, position: 1, index, attempt: 1, ok: true, completedAt: 1100 + index } satisfies ResultDoc);

describe('the dashboard\'s copies of the run store', () => {
  it('lists a run once, then follows the changes feed: the page equals one read from the store itself', async () => {
    const { backing, read, listings } = loggedStore();
    const watch = new StoreWatch(read);
    const copies = new StoreCopies(backing, watch);
    await startRun(backing, 20);
    for (let i = 0; i < 5; i += 1) await invoke(backing, i);
    const now = 5000;
    await copies.copyRun(RUN);
    expect(copies.runCopied(RUN)).toBe(true);
    expect(await runPage(copies.store(), RUN, now)).toEqual(await runPage(backing, RUN, now));
    const listed = listings.length;
    for (let i = 0; i < 20; i += 1) {
      if (i >= 5) await invoke(backing, i);
      await result(backing, i, 20);
    }
    const running = await backing.get<RunDoc>(docIds.run(RUN));
    await backing.replace({ ...running!, ...head('succeeded', 3000) });
    await watch.catchUp();
    const copied = await runPage(copies.store(), RUN, now);
    const fromCopies = listings.length;
    expect(copied).toEqual(await runPage(backing, RUN, now));
    expect(copied?.progress).toEqual({ done: 20, total: 20 });
    // Reads from the copies list nothing in the store; the same read from the store lists the run's records.
    expect(fromCopies).toBe(listed);
    expect(listings.length).toBeGreaterThan(listed);
  });

  it('keeps the heads for the runs page and sees new runs and new states', async () => {
    const { backing, read, listings } = loggedStore();
    const watch = new StoreWatch(read);
    const copies = new StoreCopies(backing, watch);
    await startRun(backing, 1);
    expect((await runsPage(copies.store(), {})).counts.running).toBe(1);
    await backing.createOnly(docIds.run('0002-next'), { ...head('failed', 1200), runId: '0002-next' });
    await watch.catchUp();
    const page = await runsPage(copies.store(), {});
    expect(page).toEqual(await runsPage(backing, {}));
    expect(page.runs.map((run) => run.runId)).toEqual(['0002-next', RUN]);
    expect(listings.filter((prefix) => prefix === 'run/')).toHaveLength(2);
  });

  it('drops its copies when more changed than one read of the feed takes, and lists again', async () => {
    const { backing, read, listings } = loggedStore();
    const watch = new StoreWatch(read, 10);
    const copies = new StoreCopies(backing, watch);
    await startRun(backing, 30);
    await copies.copyRun(RUN);
    for (let i = 0; i < 30; i += 1) await result(backing, i, 30);
    await watch.catchUp();
    const ofResults = () => listings.filter((prefix) => prefix.startsWith(`result/${RUN}/`)).length;
    const before = ofResults();
    expect((await runPage(copies.store(), RUN))?.progress.done).toBe(30);
    expect(ofResults()).toBe(before + 1);
  });

  it('keeps the newer revision when the feed hands over an older one than the listing had', async () => {
    const { backing, listings } = loggedStore();
    let stale: ChangedDoc[] = [];
    const watch = new StoreWatch(async (since) => ({ results: since === undefined ? [] : stale, lastSeq: '1' }));
    const copies = new StoreCopies(backing, watch);
    await startRun(backing, 1);
    await invoke(backing, 0);
    const claim = (await backing.get<InvokeDoc>(docIds.invoke(RUN, 1, 0, 1)))!;
    await backing.replace({ ...claim, activationId: 'b'.repeat(32) });
    await copies.copyRun(RUN);
    stale = [{ id: claim._id, doc: claim as unknown as ChangedDoc['doc'] }];
    await watch.catchUp();
    const [row] = await copies.store().listByPrefix<InvokeDoc>(docIds.invokesPrefix(RUN), { includeDocs: true });
    expect(row?.doc?.activationId).toBe('b'.repeat(32));
    expect(listings).toContain(`invoke/${RUN}/`);
  });

  it('shares a read of the feed among callers arriving together', async () => {
    const { read, reads } = loggedStore();
    const watch = new StoreWatch(read);
    await watch.catchUp();
    await Promise.all([watch.catchUp(), watch.catchUp(), watch.catchUp(), watch.catchUp()]);
    // The first read, then one under way for the first caller and one after it for the other three.
    expect(reads).toHaveLength(3);
  });

  it('answers the runs page\'s first look with the newest runs alone, then with all of them counted', async () => {
    const { backing, read } = loggedStore();
    for (let i = 1; i <= 30; i += 1) await backing.createOnly(docIds.run(`00${String(i).padStart(2, '0')}-r`), { ...head('succeeded', 2000), runId: `00${String(i).padStart(2, '0')}-r` });
    const handler = createDashboardHandler({ store: backing, assetsDir: '/nonexistent', watch: new StoreWatch(read) });
    const ask = async () => JSON.parse(String((await handler({ method: 'GET', path: '/dashboard/api/runs', query: new URLSearchParams('limit=5') }))!.body)) as { runs: { runId: string }[]; partial?: boolean; total: number };
    const first = await ask();
    expect(first.partial).toBe(true);
    expect(first.runs.map((run) => run.runId)).toEqual(['0030-r', '0029-r', '0028-r', '0027-r', '0026-r']);
    let whole = await ask();
    for (let i = 0; whole.partial && i < 50; i += 1) whole = await ask();
    expect(whole.partial).toBeUndefined();
    expect([whole.total, whole.runs.length]).toEqual([30, 5]);
  });

  it('answers the runs list once per query and store version, and anew after a change', async () => {
    const { backing, read } = loggedStore();
    await startRun(backing, 1);
    const handler = createDashboardHandler({ store: backing, assetsDir: '/nonexistent', watch: new StoreWatch(read) });
    const ask = async () => (await handler({ method: 'GET', path: '/dashboard/api/runs', query: new URLSearchParams('limit=5') }))!;
    let answer = await ask();
    for (let i = 0; i < 50 && (JSON.parse(String(answer.body)) as { partial?: boolean }).partial; i += 1) answer = await ask();
    expect(await ask()).toBe(answer);
    await backing.createOnly(docIds.run('0002-next'), { ...head('failed', 1200), runId: '0002-next' });
    const after = await ask();
    expect(after).not.toBe(answer);
    expect((JSON.parse(String(after.body)) as { total: number }).total).toBe(2);
    expect(await ask()).toBe(after);
  });

  it('applies what changed while a run was being listed over the listing', async () => {
    const { backing, read } = loggedStore();
    const watch = new StoreWatch(read);
    await startRun(backing, 3);
    await watch.catchUp();
    const slow: RunStore = { ...backing, listByPrefix: async (prefix, options) => {
      const rows = await backing.listByPrefix(prefix, options);
      // Written after the listing was taken, read by the feed before the listing arrives.
      if (prefix.startsWith('result/')) { await result(backing, 0, 3); await watch.catchUp(); }
      return rows as never;
    } };
    const copies = new StoreCopies(slow, watch);
    await copies.copyRun(RUN);
    expect((await runPage(copies.store(), RUN))?.progress.done).toBe(1);
  });
});
