/**
 * The engines with run contexts large enough to be checkpointed in chunks (a 600-element map is
 * over the 64 KiB inline limit): the run completes, its chunks are collected once it has, and an
 * engine that takes over a run reads its chunked checkpoint back. Run on every backend like
 * scenarios.ts: the in-memory broker and store (unit), Redis with CouchDB (integration).
 */
import { startStreamRun } from '../../../lib/runtimes/streaming';
import { runChunkPrefix } from '../../../lib/runtimes/streaming/context-chunks';
import { counting } from './context-store-contract';
import { StoreConflictError } from '../../../lib/errors';
import type { RunStore } from '../../../lib/store/run-store';
import type { Workflow } from '../../../lib/model/workflow';
import { FakePlatform } from './fake-platform';
import { fixtureActions } from '../fake-actions';
import { engines, finishedRun } from './engines';
import { fixtureWorkflow } from '../fixtures';
import { scenarioFixture, type Backend } from './scenarios';
import { IN_MEMORY, until } from '../until';

const ELEMENTS = 600;
const input = { chunks: Array.from({ length: ELEMENTS }, (_, i) => [i, i + 1]) };
const expectedOutput = { sum: ELEMENTS * ELEMENTS, parts: Array.from({ length: ELEMENTS }, (_, i) => 2 * i + 1) };

/**
 * The map-reduce fixture with every sum in flight at once (past the default window): the attempts
 * of all 600 elements put the context over the inline limit from the run's first checkpoints on.
 */
function wideMapReduce(): Workflow {
  const workflow = fixtureWorkflow('mapreduce');
  return { ...workflow, stages: workflow.stages.map((stage) => (stage.kind === 'map' ? { ...stage, concurrency: ELEMENTS } : stage)) };
}

export function chunkedCheckpointScenarios(backend: Backend): void {
  const { openStore, connect, topics, running } = scenarioFixture(backend);

  it('runs a wide map on chunked checkpoints and deletes the chunks once the run is finished', async () => {
    const { store, writes } = counting(await openStore());
    const platform = new FakePlatform(fixtureActions);
    const stream = connect();
    const where = topics();
    running.push(await engines({ stream, store, platform, workflows: [wideMapReduce()], consumer: 'wide', topics: where }));

    const runId = await startStreamRun(stream, { workflow: 'mapreduce', input, topic: where.completions });
    const head = await finishedRun(store, runId);
    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('sum')).toBe(ELEMENTS);
    expect(writes.filter((id) => id.startsWith(runChunkPrefix(runId))).length).toBeGreaterThan(0);
    // The context's last checkpoint comes after the run head: wait for it, inline, then for the chunks to go.
    await until('the run is a plain stream run', async () => (await store.get<{ type: string }>(`stream/${runId}`))?.type === 'stream-run', IN_MEMORY);
    await until('the run\'s chunks are gone', async () => (await store.listByPrefix(runChunkPrefix(runId))).length === 0, IN_MEMORY);
    expect(await store.get(`stream/${runId}`)).toMatchObject({ state: { status: 'succeeded' } });
  });

  it.each(['before', 'after'] as const)('resumes a wide run whose engine dies mid-join %s its chunked checkpoint\'s head is written: each task starts once', async (when) => {
    const shared = await openStore();
    const platform = new FakePlatform(fixtureActions);
    // Half the sums held back: the run must pass through "some results are in" (the second checkpoint).
    platform.hold = (action, params) => action === 'sum' && (params.value as number[])[0]! >= ELEMENTS / 2;
    const where = topics();
    // Its checkpoints die at the second head write, the chunks of which are written before.
    const dying = new DyingCheckpoints(shared, 2, when);
    const streamA = connect();
    const a = await engines({ stream: streamA, store: dying.store, platform, workflows: [wideMapReduce()], consumer: 'dying-a', topics: where });
    running.push(a);
    const runId = await startStreamRun(streamA, { workflow: 'mapreduce', input, topic: where.completions });
    await until('the store died', () => dying.tripped, IN_MEMORY);
    expect((await shared.get<{ type: string }>(`stream/${runId}`))?.type).toBe('stream-run-chunked');
    await backend.kill(streamA, a);

    running.push(await engines({ stream: connect(), store: shared, platform, workflows: [wideMapReduce()], consumer: 'dying-b', topics: where }));
    platform.release();
    const head = await finishedRun(shared, runId);
    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('sum')).toBe(ELEMENTS);
    expect(platform.count('sumall')).toBe(1);
  });

  it('hands a run over to another engine, which reads the chunked checkpoint and finishes it', async () => {
    const store = await openStore();
    const platform = new FakePlatform(fixtureActions);
    platform.hold = (action) => action === 'sumall';
    const where = topics();
    const streamA = connect();
    const a = await engines({ stream: streamA, store, platform, workflows: [wideMapReduce()], consumer: 'chunks-a', topics: where });
    running.push(a);
    const runId = await startStreamRun(streamA, { workflow: 'mapreduce', input, topic: where.completions });
    await until('sumall is invoked on a chunked run', async () => platform.count('sumall') === 1 && (await store.get<{ type: string }>(`stream/${runId}`))?.type === 'stream-run-chunked', IN_MEMORY);
    await backend.kill(streamA, a);

    const b = await engines({ stream: connect(), store, platform, workflows: [wideMapReduce()], consumer: 'chunks-b', topics: where });
    running.push(b);
    platform.release();
    const head = await finishedRun(store, runId);
    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('sum')).toBe(ELEMENTS);
    expect(platform.count('sumall')).toBe(1);
    expect(b.condition.stats.events).toBeGreaterThan(0);
  });
}

/**
 * A process whose context checkpoints (`stream/`, `stream-chunk/`) fail from its `tripAt`-th head
 * write on (`before`: that head is lost too; `after`: it lands, and the write still fails). Unlike
 * faults.ts's DyingStore, its other writes go on: with 600 tasks the Rule Engine is still recording
 * invocations when the Condition Engine dies, and a lost activation id would leave a task unwatched.
 */
class DyingCheckpoints {
  tripped = false;
  readonly store: RunStore;
  private heads = 0;

  constructor(inner: RunStore, private readonly tripAt: number, private readonly when: 'before' | 'after') {
    const ids: Record<string, (args: unknown[]) => string[]> = {
      createOnly: ([id]) => [id as string],
      createMany: ([docs]) => (docs as { id: string }[]).map((doc) => doc.id),
      replace: ([doc]) => [(doc as { _id: string })._id],
      replaceMany: ([docs]) => (docs as { _id: string }[]).map((doc) => doc._id),
      upsert: ([id]) => [id as string],
    };
    this.store = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        const written = typeof property === 'string' ? ids[property] : undefined;
        const call = (args: unknown[]): unknown => (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!written) return (...args: unknown[]) => call(args);
        return (...args: unknown[]) => this.write(written(args), () => call(args));
      },
    });
  }

  private async write(ids: string[], write: () => unknown): Promise<unknown> {
    const checkpoint = ids.filter((id) => id.startsWith('stream/') || id.startsWith('stream-chunk/'));
    if (checkpoint.length === 0) return write();
    if (this.tripped) throw new StoreConflictError(checkpoint[0]!, 'process is dead');
    if (!checkpoint.some((id) => id.startsWith('stream/')) || ++this.heads < this.tripAt) return write();
    this.tripped = true;
    if (this.when === 'after') await write();
    throw new StoreConflictError(checkpoint[0]!, 'process is dead');
  }
}
