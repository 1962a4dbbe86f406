import { pagesToLoad, pageKey, type LoadedPage } from '../../../lib/dashboard/model/bar-pages';
import { unpackBars } from '../../../lib/dashboard/model/timeline-wire';
import { runBars, runSummary } from '../../../lib/dashboard/run-summary';
import { describeRun } from '../../../lib/runs/run-view';
import { joinedMarker } from '../../../lib/runtimes/native/results';
import { MemoryRunStore } from '../../../lib/store/memory';
import { bucketOf, bucketSize, docIds, type InvokeDoc, type JoinedDoc, type ResultDoc, type RunDoc, type StageDoc, type WorkflowDoc } from '../../../lib/store/run-documents';
import type { ListOptions, RunStore } from '../../../lib/store/run-store';
import { parseWorkflow } from '../../../lib/model/parse';

const RUN = '0001-wide';
const WORKFLOW = parseWorkflow(`
name: wide
stages:
  - { id: fan, kind: map, action: work, items: $.items }
  - { id: gather, kind: reduce, action: sum }
`);

/**
 * A finished 300-task map as the native engine leaves it: every 7th task retried once, task 5 timed
 * out, tasks 11 and 250 failed; the buckets' markers written when full (none for the bucket joined
 * last, as the engine does), then a one-task reduce.
 */
async function fill(store: RunStore, n = 300, marker: (doc: JoinedDoc) => JoinedDoc | undefined = (doc) => doc): Promise<void> {
  await store.upsert(docIds.workflow('wide'), { type: 'workflow', name: 'wide', definition: WORKFLOW, trigger: 't', selfReporting: [], deployedAt: 1 } satisfies WorkflowDoc);
  await store.createOnly(docIds.run(RUN), { type: 'run', runId: RUN, workflow: 'wide', input: {}, status: 'failed', startedAt: 1000, endedAt: 9000 } satisfies RunDoc);
  await store.createOnly(docIds.stage(RUN, 1), { type: 'stage', runId: RUN, position: 1, stageId: 'fan', data: null, taskCount: n, window: 50, startedAt: 1000 } satisfies StageDoc);
  const results: ResultDoc[] = [];
  for (let index = 0; index < n; index += 1) {
    const attempts = index % 7 === 0 ? 2 : 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      await store.createOnly(docIds.invoke(RUN, 1, index, attempt), { type: 'invoke', runId: RUN, position: 1, index, attempt, claimedAt: 1000 + index * 10 + attempt, invokedAt: 1000 + index * 10 + attempt } satisfies InvokeDoc);
    }
    const failure = index === 5 ? { error: 'whiskflow.Timeout', cause: 'too slow' } : index === 11 || index === 250 ? { error: 'whiskflow.ActionFailed', cause: 'boom' } : undefined;
    const result: ResultDoc = { type: 'result', runId: RUN, position: 1, index, attempt: attempts, ok: !failure, ...(failure ? { failure } : { result: { v: index } }), completedAt: 1200 + index * 10 };
    results.push(result);
    await store.createOnly(docIds.result(RUN, 1, index, n), result);
  }
  const size = bucketSize(n);
  const buckets = Math.ceil(n / size);
  for (let bucket = 0; bucket < buckets - 1; bucket += 1) {
    const written = marker(joinedMarker(RUN, 1, bucket, results.filter((r) => bucketOf(r.index, n) === bucket)));
    if (written) await store.createOnly(docIds.joinedBucket(RUN, 1, bucket), written);
  }
  await store.createOnly(docIds.stage(RUN, 2), { type: 'stage', runId: RUN, position: 2, stageId: 'gather', data: null, taskCount: 1, window: 1, startedAt: 4300 } satisfies StageDoc);
  await store.createOnly(docIds.invoke(RUN, 2, 0, 1), { type: 'invoke', runId: RUN, position: 2, index: 0, attempt: 1, claimedAt: 4310, invokedAt: 4310 } satisfies InvokeDoc);
  await store.createOnly(docIds.result(RUN, 2, 0, 1), { type: 'result', runId: RUN, position: 2, index: 0, attempt: 1, ok: true, result: 1, completedAt: 4400 } satisfies ResultDoc);
}

/** The store, counting the documents its listings return. */
function counted(store: RunStore): { store: RunStore; docsListed: () => number; rowsListed: () => number } {
  let docs = 0;
  let rows = 0;
  return {
    docsListed: () => docs,
    rowsListed: () => rows,
    store: {
      ...store, get: (id) => store.get(id), createOnly: (id, body) => store.createOnly(id, body), upsert: (id, body) => store.upsert(id, body),
      listByPrefix: async <T extends object>(prefix: string, options?: ListOptions) => {
        const listed = await store.listByPrefix<T>(prefix, options);
        docs += listed.filter((row) => row.doc).length;
        rows += listed.length;
        return listed;
      },
    },
  };
}

describe('a run\'s page: its summary first, its bars a page at a time', () => {
  it('counts a wide stage from ids and bucket markers as a whole read of its documents does, reading few of them', async () => {
    const memory = new MemoryRunStore();
    await fill(memory);
    const { store, docsListed, rowsListed } = counted(memory);
    const page = (await runSummary(store, RUN, 10_000))!;
    expect(docsListed()).toBeLessThan(100);
    // The markers count their buckets' attempts: only the last bucket's claims and results are listed, not the stage's 643 ids.
    expect(rowsListed()).toBeLessThan(100);
    const fan = page.stages.find((s) => s.stageId === 'fan')!;
    const view = (await describeRun(memory, RUN, true))!.stages.find((s) => s.stageId === 'fan')!;
    expect(fan).toEqual({
      position: 1, stageId: 'fan', startedAt: 1000, endedAt: view.endedAt, taskCount: 300, completed: view.completed, failed: view.failed,
      retried: 43, attempts: 343, timeouts: 1,
    });
    expect([fan.completed, fan.failed]).toEqual([297, 3]);
    expect(page.state?.nodes.fan?.text).toBe('failed: 297/300 done, 3 failed, 43 retried');
    expect(page.failures.map((f) => [f.index, f.status, f.error])).toEqual([[5, 'timeout', 'whiskflow.Timeout'], [11, 'failed', 'whiskflow.ActionFailed'], [250, 'failed', 'whiskflow.ActionFailed']]);
    expect(page.timeline.attempts).toBe(344);
    expect(page.timeline.lanes.map((lane) => [lane.stageId, lane.attempts, lane.retried, lane.timeouts, lane.failed])).toEqual([['fan', 343, 43, 1, 2], ['gather', 1, 0, 0, 0]]);
    expect(page.progress).toEqual({ done: 301, total: 301 });
  });

  it('counts alike from markers written before they carried attempts, and with no markers at all (a map still filling)', async () => {
    const reference = new MemoryRunStore();
    await fill(reference);
    const expected = (await runSummary(reference, RUN, 10_000))!;
    for (const marker of [({ attempts: _attempts, ...rest }: JoinedDoc) => rest, () => undefined]) {
      const store = new MemoryRunStore();
      await fill(store, 300, marker);
      const page = (await runSummary(store, RUN, 10_000))!;
      expect(page.stages).toEqual(expected.stages);
      expect(page.failures).toEqual(expected.failures);
      expect(page.state).toEqual(expected.state);
    }
  });

  it('serves every attempt\'s bar once over its pages, with the right statuses', async () => {
    const store = new MemoryRunStore();
    await fill(store);
    const bars = [];
    for (let from = 0; from < 300; from += 100) {
      const page = (await runBars(store, RUN, 1, from, 100))!;
      expect([page.from, page.to, page.settled]).toEqual([from, from + 100, true]);
      bars.push(...unpackBars(page, 0));
    }
    expect(bars).toHaveLength(343);
    expect(new Set(bars.map((bar) => `${bar.index}/${bar.attempt}`)).size).toBe(343);
    expect(bars.filter((bar) => bar.status === 'retried')).toHaveLength(43);
    expect(bars.find((bar) => bar.index === 5 && bar.attempt === 1)?.status).toBe('timeout');
    expect(bars.filter((bar) => bar.status === 'failed').map((bar) => bar.index)).toEqual([11, 250]);
    expect(await runBars(store, RUN, 7, 0, 100)).toBeUndefined();
  });

  it('fetches pages in task order only as far as the visible range reaches, and again those not settled', () => {
    const stages = [{ position: 1, taskCount: 3000, attempts: 3000 }, { position: 2, taskCount: 1, attempts: 0 }];
    const loaded = new Map<string, LoadedPage>();
    expect(pagesToLoad(stages, loaded, undefined, new Set())).toEqual([{ position: 1, from: 0, count: 1000 }]);
    loaded.set(pageKey(1, 0), { settled: true, bars: 1000, firstStart: 0 });
    loaded.set(pageKey(1, 1000), { settled: false, bars: 500, firstStart: 5000 });
    // The whole run shown: the next page; zoomed into the first 4 s: nothing more.
    expect(pagesToLoad(stages, loaded, undefined, new Set())).toEqual([{ position: 1, from: 2000, count: 1000 }]);
    expect(pagesToLoad(stages, loaded, 4000, new Set())).toEqual([]);
    // After a change: the unsettled page again.
    expect(pagesToLoad(stages, loaded, 4000, new Set([pageKey(1, 0), pageKey(1, 1000)]))).toEqual([]);
    expect(pagesToLoad(stages, loaded, 6000, new Set([pageKey(1, 0), pageKey(1, 1000)]))).toEqual([{ position: 1, from: 1000, count: 1000 }, { position: 1, from: 2000, count: 1000 }]);
  });
});
