import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import { describeRun } from '../../../../lib/runs/run-view';
import type { OrchestratorEvent } from '../../../../lib/runtimes/native/events';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import type { Json } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import { DEFAULT_MAP_CONCURRENCY } from '../../../../lib/model/workflow';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { GroupCommitStore } from '../../../../lib/store/group-commit';
import { docIds, type InvokeDoc, type ResultDoc } from '../../../../lib/store/run-documents';
import { setUp } from './orchestrator-harness';
import { exampleJson, exampleWorkflow } from '../../../helpers/fixtures';

const mapReduce = exampleWorkflow('map-reduce');
const mapReduceInput = exampleJson('map-reduce/input.json');


const sumOf = (params: Record<string, unknown>) => (params.numbers as number[]).reduce((a, b) => a + b, 0);

describe('native orchestrator on the map-reduce example', () => {
  it('fans out 5 sums, reduces them once, branches on the total and ends with the result', async () => {
    const t = await setUp(mapReduce);
    await t.start(mapReduceInput);
    const sums = t.invoker.ofPosition(0);
    expect(sums.map((s) => s.action)).toEqual(Array(5).fill('/guest/mapreduce/sum'));
    expect(sums.map((s) => s.params)).toEqual((mapReduceInput as { chunks: Json[] }).chunks);

    await Promise.all(sums.map((s) => t.complete(s, { sum: sumOf(s.params) })));
    const reduce = t.invoker.ofPosition(1);
    expect(reduce).toHaveLength(1);
    expect(reduce[0]!.action).toBe('/guest/mapreduce/sumall');
    expect(reduce[0]!.params).toEqual({ results: [{ sum: 10 }, { sum: 26 }, { sum: 42 }, { sum: 58 }, { sum: 74 }] });

    await t.complete(reduce[0]!, { total: 210, parts: 5 });
    // The choice is passed inside the transition after the reduce: `large` is the transition at position 2.
    const label = t.invoker.ofPosition(2);
    expect(label).toHaveLength(1);
    expect(label[0]!.params).toEqual({ label: 'large', total: 210, parts: 5 });
    expect((await t.run()).status).toBe('running');

    await t.complete(label[0]!, { label: 'large', total: 210, parts: 5 });
    const run = await t.run();
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ label: 'large', total: 210, parts: 5 });
    // Status and logs still list the choice, passed inside the transition that entered `large`.
    const view = (await describeRun(t.store, 'run-1'))!;
    expect(view.stages.map((stage) => [stage.stageId, stage.taskCount])).toEqual([['partial-sums', 5], ['total', 1], ['verdict', 0], ['large', 1]]);
  });

  it('takes the default branch when no rule holds', async () => {
    const t = await setUp(mapReduce);
    await t.start({ chunks: [{ numbers: [1] }] });
    await t.complete(t.invoker.ofPosition(0)[0]!, { sum: 1 });
    await t.complete(t.invoker.ofPosition(1)[0]!, { total: 1, parts: 1 });
    expect(t.invoker.ofPosition(2)[0]!.params).toMatchObject({ label: 'small' });
  });

  it('ignores duplicated completions and repeated start events', async () => {
    const t = await setUp(mapReduce);
    await t.start(mapReduceInput);
    await t.start(mapReduceInput); // the same run id again: nothing new starts
    expect(t.invoker.ofPosition(0)).toHaveLength(5);
    const sums = t.invoker.ofPosition(0);
    await Promise.all([...sums, ...sums, ...sums].map((s) => t.complete(s, { sum: sumOf(s.params) })));
    expect(t.invoker.ofPosition(1)).toHaveLength(1);
    expect(t.invoker.ofPosition(1)[0]!.params.results).toHaveLength(5);
  });

  it('ends the run failed with the cause when the input does not fit (a map over a non-array, as the core says)', async () => {
    const t = await setUp(mapReduce);
    await t.start({ chunks: 'not an array' });
    const run = await t.run();
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({ error: 'whiskflow.ItemsNotArray', stageId: 'partial-sums' });
    expect(run.failure!.cause).toContain('not an array');
    expect(t.invoker.starts).toHaveLength(0);
  });

  it('retries a failing task with backoff, then fails the run with the cause and the failing activation', async () => {
    const t = await setUp(mapReduce);
    await t.start({ chunks: [{ numbers: [1] }, { numbers: [2] }] });
    let attempt = t.invoker.ofPosition(0)[1]!;
    await t.fail(attempt, 'boom');
    const second = t.invoker.starts.at(-1)!;
    expect(second.context).toMatchObject({ index: 1, attempt: 2 });
    expect(second.delayMs).toBe(200);
    await t.fail(second, 'boom');
    attempt = t.invoker.starts.at(-1)!;
    expect(attempt.context.attempt).toBe(3);
    expect(attempt.delayMs).toBe(400);
    await t.fail(attempt, 'boom');
    await t.fail(attempt, 'boom'); // duplicate of the last failure
    expect(t.invoker.starts.filter((s) => s.context.index === 1)).toHaveLength(3);
    const run = await t.run();
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({ error: 'boom', stageId: 'partial-sums', activationId: 'failed-0-1-3' });
    // The other task's late success changes nothing.
    await t.complete(t.invoker.ofPosition(0)[0]!, { sum: 1 });
    expect((await t.run()).status).toBe('failed');
    expect(t.invoker.ofPosition(1)).toHaveLength(0);
  });

  it('starts element i + concurrency when element i completes', async () => {
    const workflow = parseWorkflow(`
name: bounded
stages:
  - id: each
    kind: map
    action: work
    items: $.items
    concurrency: 2
`);
    const t = await setUp(workflow);
    await t.start({ items: [0, 1, 2, 3, 4] });
    expect(t.invoker.starts.map((s) => s.context.index)).toEqual([0, 1]);
    await t.complete(t.invoker.starts[1]!, { v: 1 });
    expect(t.invoker.starts.map((s) => s.context.index)).toEqual([0, 1, 3]);
    await t.complete(t.invoker.starts[1]!, { v: 1 }); // duplicate: no second start of 3
    await t.complete(t.invoker.starts[0]!, { v: 0 });
    expect(t.invoker.starts.map((s) => s.context.index)).toEqual([0, 1, 3, 2]);
    expect(t.invoker.starts[0]!.params).toEqual({ value: 0 });
    for (const index of [2, 3]) await t.complete(t.invoker.starts.find((s) => s.context.index === index)!, { v: index });
    await t.complete(t.invoker.starts.find((s) => s.context.index === 4)!, { v: 4 });
    const run = await t.run();
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual([{ v: 0 }, { v: 1 }, { v: 2 }, { v: 3 }, { v: 4 }]);
  });

  it('starts DEFAULT_MAP_CONCURRENCY elements of a map without a bound, and the next as one completes', async () => {
    const t = await setUp(parseWorkflow('name: unbounded\nstages:\n  - { id: each, kind: map, action: work, items: $.items }\n'));
    await t.start({ items: Array.from({ length: DEFAULT_MAP_CONCURRENCY + 3 }, (_, i) => i) });
    expect(t.invoker.starts).toHaveLength(DEFAULT_MAP_CONCURRENCY);
    await t.complete(t.invoker.starts[2]!, { v: 2 });
    expect(t.invoker.starts.at(-1)!.context.index).toBe(2 + DEFAULT_MAP_CONCURRENCY);
    expect(t.invoker.starts).toHaveLength(DEFAULT_MAP_CONCURRENCY + 1);
  });

  it('stops starting the elements of a bounded map once a failure moved the run to its catch stage', async () => {
    const workflow = parseWorkflow(`
name: bounded-catch
stages:
  - { id: each, kind: map, action: work, items: $.items, concurrency: 2, catch: [ { next: recover } ] }
  - { id: done, kind: succeed }
  - { id: recover, kind: task, action: recover }
`);
    const t = await setUp(workflow);
    await t.start({ items: [0, 1, 2, 3, 4] });
    await t.fail(t.invoker.starts[0]!, 'broken');
    expect(t.invoker.starts.map((s) => s.action)).toEqual(['/guest/work', '/guest/work', '/guest/recover']);
    await t.complete(t.invoker.starts[1]!, { v: 1 });
    expect(t.invoker.starts.map((s) => s.context.index)).toEqual([0, 1, 0]);
  });

  it('routes a final failure to a catch stage with the error in the data', async () => {
    const workflow = parseWorkflow(`
name: caught
stages:
  - id: risky
    kind: task
    action: risky
    catch:
      - next: recover
  - id: done
    kind: succeed
  - id: recover
    kind: task
    action: recover
`);
    const t = await setUp(workflow);
    await t.start({ x: 1 });
    await t.fail(t.invoker.starts[0]!, { name: 'Oops', message: 'bad' });
    const recover = t.invoker.starts[1]!;
    expect(recover.action).toBe('/guest/recover');
    expect(recover.params).toMatchObject({ x: 1, error: { error: 'Oops', stageId: 'risky' } });
  });

  it('schedules a timeout for tasks that have one and ignores it once the task completed', async () => {
    const workflow = parseWorkflow(`
name: timed
stages:
  - id: slow
    kind: task
    action: slow
    timeout: 5000
`);
    const t = await setUp(workflow);
    await t.start({});
    expect(t.invoker.timeouts).toEqual([{ context: t.invoker.starts[0]!.context, timeoutMs: 5000 }]);
    await t.complete(t.invoker.starts[0]!, { ok: true });
    await t.timeOut(t.invoker.starts[0]!);
    expect((await t.run()).status).toBe('succeeded');
    expect(t.invoker.starts).toHaveLength(1);
  });
});

describe('native orchestrator with a stale invocation claim', () => {
  it('takes over a claim whose claimer died before invoking, exactly once', async () => {
    const workflow = parseWorkflow('name: one\nstages:\n  - { id: only, kind: task, action: a }\n');
    const t = await setUp(workflow);
    // Simulate a crashed first activation: the run and its stage exist, the invoke claim has no activation id.
    let clock = 1_000;
    const ctx = { ...t.ctx, now: () => clock, claimLeaseMs: 100 };
    const failing = { ...ctx, invoker: { start: async () => { throw new Error('crash'); }, scheduleTimeout: async () => 'x' } };
    const event: OrchestratorEvent = { type: 'run.started', eventId: 'e', workflow: 'one', runId: 'r', input: {} };
    await expect(handleEvent(failing, event)).rejects.toThrow('crash');
    expect(t.invoker.starts).toHaveLength(0);
    await handleEvent(ctx, event); // retried within the lease: the claim still counts as alive
    expect(t.invoker.starts).toHaveLength(0);
    clock += 1_000;
    await Promise.all([handleEvent(ctx, event), handleEvent(ctx, event)]);
    expect(t.invoker.starts).toHaveLength(1);
  });
});

describe('native orchestrator starting a wide map', () => {
  const wide = parseWorkflow('name: wide\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 120 }\n');
  const claimsOf = async (store: MemoryRunStore, count: number) =>
    Promise.all(Array.from({ length: count }, (_, index) => store.get<InvokeDoc>(docIds.invoke('r', 0, index, 1))));

  it('records the activation ids in batches while the invokes go on, not all at the end', async () => {
    const t = await setUp(wide);
    const batches: { size: number; invokedBefore: number }[] = [];
    const replaceMany = t.store.replaceMany.bind(t.store);
    t.store.replaceMany = async (docs) => {
      batches.push({ size: docs.length, invokedBefore: t.invoker.starts.length });
      return replaceMany(docs);
    };
    await handleEvent(t.ctx, { type: 'run.started', eventId: 'e', workflow: 'wide', runId: 'r', input: { items: Array.from({ length: 120 }, (_, i) => i) } });
    expect(t.invoker.starts).toHaveLength(120);
    expect(batches.map((batch) => batch.size).reduce((a, b) => a + b, 0)).toBe(120);
    expect(Math.max(...batches.map((batch) => batch.size))).toBeLessThanOrEqual(50);
    expect(batches[0]!.invokedBefore).toBeLessThan(120);
    expect((await claimsOf(t.store, 120)).every((claim) => claim?.activationId?.startsWith('act-'))).toBe(true);
  });

  it('records every started task when an invoke fails part way, and still fails the activation', async () => {
    const t = await setUp(wide);
    let invokes = 0;
    const failing = { ...t.ctx, invoker: { ...t.invoker, start: async (task: TaskStart) => { if (++invokes === 80) throw new Error('controller gone'); return t.invoker.start(task); }, scheduleTimeout: t.invoker.scheduleTimeout.bind(t.invoker) } };
    await expect(handleEvent(failing, { type: 'run.started', eventId: 'e', workflow: 'wide', runId: 'r', input: { items: Array.from({ length: 120 }, (_, i) => i) } })).rejects.toThrow('controller gone');
    const claims = await claimsOf(t.store, 120);
    const recorded = claims.filter((claim) => claim?.activationId);
    expect(recorded).toHaveLength(t.invoker.starts.length);
    expect(new Set(recorded.map((claim) => claim!.activationId))).toEqual(new Set(t.invoker.starts.map((_, i) => `act-${i + 1}`)));
  });
});

describe('native orchestrator transitions', () => {
  const chain = parseWorkflow('name: chain\nstages:\n  - { id: a, kind: task, action: a, resultPath: $.a }\n  - { id: b, kind: task, action: b, resultPath: $.b }\n');

  it('records a first attempt\'s success and claims the next stage and its task in one store request', async () => {
    const t = await setUp(chain);
    await t.start({});
    const requests: string[] = [];
    for (const method of ['get', 'createOnly', 'createMany', 'replace', 'replaceMany', 'listByPrefix'] as const) {
      const original = (t.store[method] as (...args: unknown[]) => Promise<unknown>).bind(t.store);
      (t.store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        requests.push(method === 'createMany' ? `createMany(${(args[0] as { id: string }[]).map((doc) => doc.id.split('/')[0]).join(',')})` : method);
        return original(...args);
      };
    }
    await t.complete(t.invoker.starts[0]!, 1);
    // result + transition + invoke claim, then the activation id onto the claim: no reads at all (warm cache).
    expect(requests).toEqual(['createMany(result,stage,invoke)', 'replaceMany']);
    expect(t.invoker.starts.map((s) => s.action)).toEqual(['/guest/a', '/guest/b']);
    const claimDoc = await t.store.get<InvokeDoc>(docIds.invoke('run-1', 1, 0, 1));
    expect(claimDoc!.activationId).toBe('act-2');
  });

  it('follows the stored outcome when a timeout and the success of the same attempt race', async () => {
    const timed = parseWorkflow('name: timed2\nstages:\n  - { id: slow, kind: task, action: slow, timeout: 1000 }\n  - { id: next, kind: task, action: next }\n');
    for (let round = 0; round < 10; round += 1) {
      const t = await setUp(timed);
      await t.start({}, `race-${round}`);
      const first = t.invoker.starts[0]!;
      const deliveries = [() => t.complete(first, { ok: true }), () => t.timeOut(first)];
      await Promise.all(round % 2 ? deliveries.reverse().map((d) => d()) : deliveries.map((d) => d()));
      const stored = await t.store.get<ResultDoc>(docIds.result(`race-${round}`, 0, 0, 1));
      const run = await t.run(`race-${round}`);
      // Exactly one outcome counts, and the run went the way of that one.
      if (stored!.ok) {
        expect(t.invoker.starts.map((s) => s.action)).toEqual(['/guest/slow', '/guest/next']);
        expect(run.status).toBe('running');
      } else {
        expect(t.invoker.starts).toHaveLength(1);
        expect(run.status).toBe('failed');
        expect(run.failure!.error).toBe('whiskflow.Timeout');
      }
    }
  });

  it('starts a task whose claim it created although the store\'s answer to the create was lost', async () => {
    const t = await setUp(chain);
    // The first bulk create lands, but its answer is lost; the store's retry then reports `exists` for every document.
    const createMany = t.store.createMany.bind(t.store);
    let lose = true;
    t.store.createMany = async (docs) => {
      const outcomes = await createMany(docs);
      if (!lose || !docs.some((doc) => doc.id.startsWith('invoke/'))) return outcomes;
      lose = false;
      await createMany(docs);
      return docs.map((doc) => ({ id: doc.id, outcome: 'exists' as const }));
    };
    await t.start({});
    expect(t.invoker.starts.map((s) => s.action)).toEqual(['/guest/a']);
  });
});

describe('native orchestrator joins of a wide stage', () => {
  const fanIn = parseWorkflow('name: fan-in\nstages:\n  - { id: each, kind: map, action: work, items: $.items }\n  - { id: total, kind: reduce, action: add }\n');
  // 9 items: buckets of 3.
  const items = Array.from({ length: 9 }, (_, i) => i);

  it('reaches the transition without a marker for the last bucket when the other buckets are joined', async () => {
    const t = await setUp(fanIn);
    await t.start({ items });
    const tasks = [...t.invoker.starts];
    for (const task of tasks.slice(0, 8)) await t.complete(task, task.context.index);
    const markers = async () => (await t.store.listByPrefix(docIds.joinedPrefix('run-1', 0))).map((row) => row.id);
    expect(await markers()).toEqual([docIds.joinedBucket('run-1', 0, 0), docIds.joinedBucket('run-1', 0, 1)]);
    const requests: string[] = [];
    const listByPrefix = t.store.listByPrefix.bind(t.store);
    t.store.listByPrefix = (prefix, options) => {
      requests.push(`list ${prefix.split('/')[0]}${options?.includeDocs ? ' with docs' : ''}`);
      return listByPrefix(prefix, options);
    };
    await t.complete(tasks[8]!, 8);
    // This container saw the other buckets joined: the markers (with the values they carry) are
    // listed along with the bucket (with its documents, full); no marker create, not every result.
    expect(requests).toEqual(['list joined with docs', 'list result with docs']);
    expect(await markers()).toHaveLength(2);
    const reduce = t.invoker.ofPosition(1);
    expect(reduce).toHaveLength(1);
    expect(reduce[0]!.params.results).toEqual(items);
  });

  it('lists the markers only after a full bucket in a container that has not seen the stage near its end', async () => {
    const t = await setUp(fanIn);
    await t.start({ items });
    const tasks = [...t.invoker.starts];
    for (const task of tasks.slice(0, 8)) await t.complete(task, task.context.index);
    // Another container: a store object of its own has its own warm cache.
    const otherContainer = Object.create(t.store) as MemoryRunStore;
    const requests: string[] = [];
    const listByPrefix = t.store.listByPrefix.bind(t.store);
    otherContainer.listByPrefix = (prefix, options) => {
      requests.push(`list ${prefix.split('/')[0]}${options?.includeDocs ? ' with docs' : ''}`);
      return listByPrefix(prefix, options);
    };
    // Task 7 again (a duplicate, bucket 2 not full yet), then task 8: only the full bucket lists the markers.
    await handleEvent({ ...t.ctx, store: otherContainer, activationId: 'other' }, { type: 'task.completed', eventId: 'c-7', task: tasks[7]!.context, result: 7 });
    expect(requests).toEqual(['list result with docs']);
    requests.length = 0;
    await handleEvent({ ...t.ctx, store: otherContainer, activationId: 'other' }, { type: 'task.completed', eventId: 'c-8', task: tasks[8]!.context, result: 8 });
    expect(requests).toEqual(['list result with docs', 'list joined with docs']);
    expect(t.invoker.ofPosition(1)[0]!.params.results).toEqual(items);
  });

  it('joins from the results themselves when the buckets are too big for their markers to carry them', async () => {
    const t = await setUp(fanIn);
    await t.start({ items });
    const big = (index: number) => `${index}:${'x'.repeat(100_000)}`;
    for (const task of t.invoker.starts.slice()) await t.complete(task, big(task.context.index));
    const markers = await t.store.listByPrefix<{ results?: unknown }>(docIds.joinedPrefix('run-1', 0), { includeDocs: true });
    expect(markers.length).toBeGreaterThan(0);
    expect(markers.every((row) => row.doc!.results === undefined)).toBe(true);
    const reduce = t.invoker.ofPosition(1);
    expect(reduce).toHaveLength(1);
    expect(reduce[0]!.params.results).toEqual(items.map(big));
  });

  it('reads back the result another container created', async () => {
    const t = await setUp(fanIn);
    await t.start({ items });
    const tasks = [...t.invoker.starts];
    // Task 4 (bucket 1) completes in another container: a store object of its own has its own warm cache.
    const otherContainer = Object.create(t.store) as MemoryRunStore;
    await handleEvent({ ...t.ctx, store: otherContainer, activationId: 'other' }, { type: 'task.completed', eventId: 'c-4', task: tasks[4]!.context, result: 4 });
    for (const task of tasks.filter((task) => task.context.index !== 4)) await t.complete(task, task.context.index);
    const reduce = t.invoker.ofPosition(1);
    expect(reduce).toHaveLength(1);
    expect(reduce[0]!.params.results).toEqual(items);
  });

  it('joins from the store alone in a container that created none of the results', async () => {
    const t = await setUp(fanIn);
    await t.start({ items });
    const tasks = [...t.invoker.starts];
    await Promise.all(tasks.map((task) => handleEvent({ ...t.ctx, store: Object.create(t.store) as MemoryRunStore, activationId: `cold-${task.context.index}` }, {
      type: 'task.completed', eventId: `c-${task.context.index}`, task: task.context, result: task.context.index * 10,
    })));
    expect(t.invoker.ofPosition(1)[0]!.params.results).toEqual(items.map((i) => i * 10));
  });

  it.each([
    ['one store per activation', (store: MemoryRunStore) => () => store],
    ['activations sharing a group-commit store', (store: MemoryRunStore) => { const shared = new GroupCommitStore(store); return () => shared; }],
  ])('starts the reduce once when the completions of every bucket arrive at once, each twice (%s)', async (_name, storeFor) => {
    for (let round = 0; round < 5; round += 1) {
      const t = await setUp(fanIn);
      await t.start({ items });
      const storeOf = storeFor(t.store);
      const tasks = [...t.invoker.starts];
      // Rotated per round, so that each bucket is sometimes the last one to fill.
      const order = [...tasks, ...tasks].map((task, i, all) => all[(i + round * 3) % all.length]!);
      const outcomes = await Promise.all(order.map((task, copy) => handleEvent({ ...t.ctx, store: storeOf(), activationId: `o-${copy}` }, {
        type: 'task.completed', eventId: `c-${task.context.index}`, task: task.context, result: task.context.index,
      })));
      expect(outcomes.filter((outcome) => outcome.outcome === 'recorded')).toHaveLength(items.length);
      const reduce = t.invoker.ofPosition(1);
      expect(reduce).toHaveLength(1);
      expect(reduce[0]!.params.results).toEqual(items);
    }
  });
});
