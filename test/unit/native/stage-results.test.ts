import { StageResults } from '../../../lib/engine/native/stage-results';
import { MemoryRunStore } from '../../../lib/store/memory';
import { docIds, type ResultDoc } from '../../../lib/store/run-documents';

const RUN = 'run-1';
const SEQ = 2;

const resultOf = (index: number, value: number = index): ResultDoc =>
  ({ type: 'result', runId: RUN, seq: SEQ, index, attempt: 1, ok: true, result: { value }, completedAt: 1 });

/** A stage whose results are all stored; `remembered` of them also created by "this container". */
async function stageOf(taskCount: number, remembered: (index: number) => boolean) {
  const store = new MemoryRunStore();
  const cache = new StageResults();
  for (let index = 0; index < taskCount; index += 1) {
    await store.createOnly(docIds.result(RUN, SEQ, index, taskCount), resultOf(index));
    if (remembered(index)) cache.remember(resultOf(index), taskCount);
  }
  const listings: string[] = [];
  const list = store.listByPrefix.bind(store);
  store.listByPrefix = (async (prefix: string, options?: { includeDocs?: boolean }) => {
    listings.push(prefix);
    return list(prefix, options);
  }) as typeof store.listByPrefix;
  const reads: string[][] = [];
  const getMany = store.getMany.bind(store);
  store.getMany = (async (ids: readonly string[]) => {
    reads.push([...ids]);
    return getMany(ids);
  }) as typeof store.getMany;
  return { store, cache, listings, reads };
}

const values = (docs: readonly ResultDoc[]) => docs.map((doc) => (doc.result as { value: number }).value);

describe('StageResults', () => {
  const taskCount = 100;
  const all = Array.from({ length: taskCount }, (_, index) => index);

  it('joins a stage it saw entirely without reading the store', async () => {
    const { store, cache, listings } = await stageOf(taskCount, () => true);
    expect(values(await cache.joined(store, RUN, SEQ, taskCount))).toEqual(all);
    expect(listings).toEqual([]);
  });

  it('reads only the results it misses, by id, in one request, and joins in index order', async () => {
    const { store, cache, listings, reads } = await stageOf(taskCount, (index) => index !== 3 && index !== 57);
    expect(values(await cache.joined(store, RUN, SEQ, taskCount))).toEqual(all);
    expect(listings).toEqual([]);
    expect(reads).toEqual([[docIds.result(RUN, SEQ, 3, taskCount), docIds.result(RUN, SEQ, 57, taskCount)]]);
  });

  it('lists the whole stage once when it misses nearly all results', async () => {
    const { store, cache, listings, reads } = await stageOf(taskCount, (index) => index % 10 === 0);
    expect(values(await cache.joined(store, RUN, SEQ, taskCount))).toEqual(all);
    expect(listings).toEqual([docIds.resultsPrefix(RUN, SEQ)]);
    expect(reads).toEqual([]);
  });

  it('reads everything when it remembers nothing, and forgets a stage once joined', async () => {
    const { store, cache, listings } = await stageOf(taskCount, () => true);
    await cache.joined(store, RUN, SEQ, taskCount);
    expect(values(await cache.joined(store, RUN, SEQ, taskCount))).toEqual(all);
    expect(listings).toEqual([docIds.resultsPrefix(RUN, SEQ)]);
  });

  it('never serves a remembered result for a stage of another width', async () => {
    const { store, cache } = await stageOf(taskCount, () => false);
    cache.remember(resultOf(0, 999), taskCount + 1);
    expect(values(await cache.joined(store, RUN, SEQ, taskCount))).toEqual(all);
  });
});
