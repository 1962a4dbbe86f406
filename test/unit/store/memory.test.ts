import { claim, updateWithRetry } from '../../../lib/store/claims';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds } from '../../../lib/store/run-documents';

describe('MemoryRunStore', () => {
  it('lets exactly one of many concurrent create-only writers win', async () => {
    const store = new MemoryRunStore();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.createOnly('x', { writer: i })));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    const winner = outcomes.indexOf('created');
    expect(await store.get('x')).toMatchObject({ writer: winner });
  });

  it('rejects a replace based on a stale revision with STORE_CONFLICT', async () => {
    const store = new MemoryRunStore();
    await store.createOnly('d', { n: 0 });
    const read = (await store.get<{ n: number }>('d'))!;
    await store.replace({ ...read, n: 1 });
    await expect(store.replace({ ...read, n: 2 })).rejects.toMatchObject({ code: 'STORE_CONFLICT', details: { docId: 'd' } });
    expect((await store.get<{ n: number }>('d'))!.n).toBe(1);
  });

  it('lists a key range in id order, honouring skip and limit', async () => {
    const store = new MemoryRunStore();
    // 20 tasks: buckets of 5, so index order survives the bucket level of the ids.
    for (const index of [3, 1, 12, 0, 19]) await store.createOnly(docIds.result('r', 2, index, 20), { index });
    await store.createOnly(docIds.result('r', 3, 0, 20), {});
    await store.createOnly(docIds.result('r2', 2, 0, 20), {});
    const ids = (await store.listByPrefix(docIds.resultsPrefix('r', 2))).map((row) => row.id);
    expect(ids).toEqual([0, 1, 3, 12, 19].map((i) => docIds.result('r', 2, i, 20)));
    expect(await store.listByPrefix(docIds.resultsPrefix('r', 2), { skip: 3, limit: 1 })).toEqual([{ id: docIds.result('r', 2, 12, 20) }]);
    expect(await store.listByPrefix(docIds.resultsPrefix('r', 2), { skip: 5, limit: 1 })).toEqual([]);
    expect(await store.listByPrefix(docIds.bucketPrefix('r', 2, 0))).toHaveLength(3);
  });

  it('lists from a start key to an end key (excluded), either way', async () => {
    const store = new MemoryRunStore();
    for (const index of [0, 1, 3, 12, 19]) await store.createOnly(docIds.result('r', 2, index, 20), { index });
    const prefix = docIds.resultsPrefix('r', 2);
    const ids = async (options: object) => (await store.listByPrefix(prefix, options)).map((row) => row.id);
    expect(await ids({ startKey: docIds.result('r', 2, 1, 20), endKey: docIds.result('r', 2, 19, 20) })).toEqual([1, 3, 12].map((i) => docIds.result('r', 2, i, 20)));
    expect(await ids({ descending: true, startKey: docIds.result('r', 2, 12, 20), endKey: docIds.result('r', 2, 0, 20), limit: 2 })).toEqual([12, 3].map((i) => docIds.result('r', 2, i, 20)));
  });
});

describe('claims', () => {
  it('hands every claimer the winner\'s document', async () => {
    const store = new MemoryRunStore();
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(store, 'stage/r/0001', { by: i })));
    const winners = claims.filter((c) => c.won);
    expect(winners).toHaveLength(1);
    for (const c of claims) expect(c.doc.by).toBe(winners[0]!.doc.by);
  });

  it('applies concurrent updates without losing any', async () => {
    const store = new MemoryRunStore();
    await store.createOnly('counter', { n: 0 });
    await Promise.all(Array.from({ length: 25 }, () => updateWithRetry<{ n: number }>(store, 'counter', (doc) => ({ ...doc, n: doc.n + 1 }))));
    expect((await store.get<{ n: number }>('counter'))!.n).toBe(25);
  });
});

describe('create-only writes of copies', () => {
  it('ignore the _id and _rev of the document the body was copied from', async () => {
    const store = new MemoryRunStore();
    await store.createOnly('a', { n: 1 });
    const read = (await store.get<{ n: number }>('a'))!;
    expect(await store.createOnly('b', { ...read, n: 2 })).toBe('created');
    expect(await store.get('b')).toEqual({ n: 2, _id: 'b', _rev: '1-mem' });
  });
});
