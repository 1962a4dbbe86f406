/**
 * The streaming interpreter's end-to-end scenarios, written once and run on every backend: the
 * in-memory broker (unit), Redis and Kafka (integration). Each test uses topics of its own.
 */
import { randomUUID } from 'node:crypto';
import { startStreamRun, type StreamingEngines, type StreamTaskInvoker, type StreamTrigger } from '../../../lib/runtimes/streaming';
import type { EventStream } from '../../../lib/runtimes/streaming/brokers';
import type { RunState } from '../../../lib/core/run-state';
import { describeRun } from '../../../lib/runs/run-view';
import { parseWorkflow } from '../../../lib/model/parse';
import { MemoryRunStore } from '../../../lib/store/memory';
import type { RunStore } from '../../../lib/store/run-store';
import { DuplicatingStream, DyingStore } from './faults';
import { FakePlatform } from './fake-platform';
import { fixtureActions } from '../fake-actions';
import { engines, finishedRun } from './engines';
import { fixtureWorkflow } from '../fixtures';
import { IN_MEMORY, until } from '../until';

export interface Backend {
  /** A new connection to the backend, as one engine process would open. */
  connect(): EventStream;
  /** Ends a process without acknowledging what it has in flight. */
  kill(stream: EventStream, running: StreamingEngines): Promise<void>;
  /** A new, empty run store shared by the test's processes. @default an in-memory store */
  openStore?: () => Promise<RunStore>;
}

const chunks = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];
const expectedOutput = { sum: 55, parts: [3, 7, 11, 15, 19] };

const slowWorkflow = parseWorkflow(`
name: slow
stages:
  - id: never
    kind: task
    action: never
    timeout: 300
`);

/**
 * What every scenario suite on a backend needs: the run store, streams to the broker and unique
 * topics, with the engines and streams a test started stopped after it.
 */
export function scenarioFixture(backend: Backend) {
  const openStore = backend.openStore ?? (async () => new MemoryRunStore());
  const streams: EventStream[] = [];
  const running: StreamingEngines[] = [];
  const connect = (): EventStream => {
    const stream = backend.connect();
    streams.push(stream);
    return stream;
  };
  const topics = (): { completions: string; orchestration: string } => {
    const suffix = randomUUID().slice(0, 8);
    return { completions: `completions-${suffix}`, orchestration: `orchestration-${suffix}` };
  };

  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map((engine) => engine.stop()));
    await Promise.allSettled(streams.splice(0).map((stream) => stream.close()));
  });
  return { openStore, connect, topics, running };
}

export function streamingScenarios(backend: Backend): void {
  const { openStore, connect, topics, running } = scenarioFixture(backend);

  it('completes a fan-out/fan-in run; the join sees each result once, in input order', async () => {
    const store = await openStore();
    const platform = new FakePlatform(fixtureActions);
    const stream = connect();
    const where = topics();
    running.push(await engines({ stream, store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'one', topics: where }));

    const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks }, topic: where.completions });
    const head = await finishedRun(store, runId);

    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput, engine: 'stream' });
    expect(platform.count('sum')).toBe(5);
    expect(platform.count('sumall')).toBe(1);
    // What `whiskflow logs` shows: each stage, each task with the activation that ran it.
    const view = await describeRun(store, runId);
    expect(view?.stages.map((stage) => [stage.stageId, stage.completed, stage.taskCount])).toEqual([['sum', 5, 5], ['sumall', 1, 1], ['route', 0, 0], ['small', 0, 0]]);
    const activations = view?.stages.flatMap((stage) => stage.tasks.map((task) => task.attempts[0]?.activationId)).sort();
    expect(activations).toEqual(platform.invocations.map((invocation) => invocation.activationId).sort());
  });

  it('shares runs between two engine processes of one group; every run completes, every task starts once', async () => {
    const store = await openStore();
    const platform = new FakePlatform(fixtureActions);
    const where = topics();
    const a = await engines({ stream: connect(), store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'share-a', topics: where });
    running.push(a);
    const b = await engines({ stream: connect(), store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'share-b', topics: where });
    running.push(b);
    // Both members own partitions before any run starts (joining may take a rebalance round).
    await until('both engines own partitions covering the topic', () => a.condition.assignedPartitions().length > 0 && b.condition.assignedPartitions().length > 0
      && a.condition.assignedPartitions().length + b.condition.assignedPartitions().length === 4, IN_MEMORY);

    const producer = connect();
    const runIds = await Promise.all(Array.from({ length: 20 }, () => startStreamRun(producer, { workflow: 'mapreduce', input: { chunks }, topic: where.completions })));
    const heads = await Promise.all(runIds.map((runId) => finishedRun(store, runId)));

    expect(heads.map((head) => head.status)).toEqual(runIds.map(() => 'succeeded'));
    expect(heads.every((head) => JSON.stringify(head.output) === JSON.stringify(expectedOutput))).toBe(true);
    expect(platform.count('sum')).toBe(5 * 20);
    expect(platform.count('sumall')).toBe(20);
    // With 20 runs over 4 partitions, each member handled some of them.
    expect(a.condition.stats.events).toBeGreaterThan(0);
    expect(b.condition.stats.events).toBeGreaterThan(0);
  });

  it('applies duplicated completion and orchestration events once', async () => {
    const store = await openStore();
    const platform = new FakePlatform(fixtureActions);
    const stream = new DuplicatingStream(connect());
    const where = topics();
    running.push(await engines({ stream, store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'dup', topics: where }));

    const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks }, topic: where.completions });
    const head = await finishedRun(store, runId);

    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('sum')).toBe(5);
    expect(platform.count('sumall')).toBe(1);
    const reduceParams = platform.invocations.find((invocation) => invocation.action === 'sumall')?.params;
    expect(reduceParams?.results).toEqual([{ sum: 3 }, { sum: 7 }, { sum: 11 }, { sum: 15 }, { sum: 19 }]);
  });

  it.each([
    { moment: 'mid-join, before its checkpoint', when: 'before' as const, trips: (done: number) => done > 0 && done < 5 },
    // The join's outputs (invoke sumall) are produced, the checkpoint is lost: B produces them again.
    { moment: 'after the join fired, before its checkpoint', when: 'before' as const, trips: (done: number) => done === 5 },
    { moment: 'right after the join fired and was checkpointed, before the ack', when: 'after' as const, trips: (done: number) => done === 5 },
  ])('resumes a run whose engine dies $moment: each stage starts once, the run ends right', async ({ when, trips }) => {
    const shared = await openStore();
    const platform = new FakePlatform(fixtureActions);
    // Holding two sums back makes "some but not all results are in" a state the run must pass through.
    if (when === 'before' && trips(3)) platform.hold = (action, params) => action === 'sum' && (params.value as number[])[0]! > 5;
    const where = topics();
    const dying = new DyingStore(shared, (_id, body) => {
      const tasks = Object.values((body as { state: RunState }).state.tasks);
      return trips(tasks.filter((task) => task.stageId === 'sum' && task.status === 'succeeded').length);
    }, when);
    // A dead process invokes nothing: A's Rule Engine holds its start of the next stage until A
    // dies, then fails it (a store that refuses writes does not stop the process by itself, and
    // whether its Rule Engine starts `sumall` before its Condition Engine's fatal checkpoint would
    // otherwise be a race, with an attempt claimed but never recorded on one side of it).
    const platformA: StreamTaskInvoker = {
      invoke: async (action, params) => {
        if (action === 'sumall') await until('the store died', () => dying.tripped, IN_MEMORY);
        if (dying.tripped) throw new Error('process is dead');
        return platform.invoke(action, params);
      },
      activation: (activationId) => platform.activation(activationId),
    };
    const streamA = connect();
    const a = await engines({ stream: streamA, store: dying, platform: platformA, workflows: [fixtureWorkflow('mapreduce')], consumer: 'a', topics: where });
    running.push(a);
    const runId = await startStreamRun(streamA, { workflow: 'mapreduce', input: { chunks }, topic: where.completions });
    await until('the store died', () => dying.tripped, IN_MEMORY);
    await backend.kill(streamA, a);

    const streamB = connect();
    running.push(await engines({ stream: streamB, store: shared, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'b', topics: where }));
    platform.release();
    const head = await finishedRun(shared, runId);

    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('sum')).toBe(5);
    expect(platform.count('sumall')).toBe(1);
  });

  it('fails a task that never reports once its timeout passes', async () => {
    const store = await openStore();
    const platform = new FakePlatform({ never: () => 'hang' });
    const stream = connect();
    const where = topics();
    running.push(await engines({ stream, store, platform, workflows: [slowWorkflow], consumer: 'slow', topics: where }));

    const runId = await startStreamRun(stream, { workflow: 'slow', input: {}, topic: where.completions });
    const head = await finishedRun(store, runId);

    expect(head.status).toBe('failed');
    expect(head.failure).toMatchObject({ error: 'whiskflow.Timeout', stageId: 'never' });
    expect(platform.count('never')).toBe(1);
  });

  it('fires a k-of-n stream trigger once, next to the workflow, with the first results', async () => {
    const store = await openStore();
    const platform = new FakePlatform({ ...fixtureActions, preview: () => ({ result: {} }) });
    // Three sums report at once; the other two only after the trigger has fired.
    platform.hold = (action, params) => action === 'sum' && (params.value as number[])[0]! > 5;
    const stream = connect();
    const where = topics();
    const trigger: StreamTrigger = {
      id: 'preview', workflow: 'mapreduce', stageIds: ['sum'],
      condition: { kind: 'threshold', k: 3, of: 5 },
      action: { action: 'preview' },
    };
    running.push(await engines({ stream, store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'trig', topics: where, triggers: [trigger] }));

    const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks }, topic: where.completions });
    await until('the preview and the five sums are invoked', () => platform.count('preview') === 1 && platform.count('sum') === 5, IN_MEMORY);
    platform.release();
    const head = await finishedRun(store, runId);

    expect(head).toMatchObject({ status: 'succeeded', output: expectedOutput });
    expect(platform.count('preview')).toBe(1);
    expect(platform.invocations.find((invocation) => invocation.action === 'preview')?.params).toEqual({ results: [{ sum: 3 }, { sum: 7 }, { sum: 11 }] });
  });

  it('fires a timeout its dead engine had armed: the successor re-arms timers from the checkpoints', async () => {
    const store = await openStore();
    const platform = new FakePlatform({ never: () => 'hang' });
    const where = topics();
    const streamA = connect();
    // A checkpoints the timer but never checks its timers, as if it died before the task's deadline.
    const a = await engines({ stream: streamA, store, platform, workflows: [slowWorkflow], consumer: 'a', topics: where, timerResolutionMs: 3_600_000 });
    running.push(a);
    const runId = await startStreamRun(streamA, { workflow: 'slow', input: {}, topic: where.completions });
    await until('the run is stored and `never` invoked', async () => (await store.get(`stream/${runId}`)) !== undefined && platform.count('never') === 1, IN_MEMORY);
    await backend.kill(streamA, a);

    const streamB = connect();
    running.push(await engines({ stream: streamB, store, platform, workflows: [slowWorkflow], consumer: 'b', topics: where }));
    const head = await finishedRun(store, runId);

    expect(head.status).toBe('failed');
    expect(head.failure).toMatchObject({ error: 'whiskflow.Timeout', stageId: 'never' });
    expect(platform.count('never')).toBe(1);
  });
}
