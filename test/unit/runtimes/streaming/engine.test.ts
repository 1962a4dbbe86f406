/**
 * Both engines over the in-memory broker and store: the whole streaming interpreter without I/O.
 * The same scenarios run against Redis and Kafka in test/integration/runtimes/streaming/engine/.
 */
import { MemoryBroker, MemoryEventStream, startStreamRun } from '../../../../lib/runtimes/streaming';
import { toStructuredJson } from '../../../../lib/events/cloudevent';
import { EVENT_TYPES } from '../../../../lib/events/types';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { FakePlatform } from '../../../helpers/streaming/fake-platform';
import { fixtureActions } from '../../../helpers/fake-actions';
import { engines, finishedRun } from '../../../helpers/streaming/engines';
import { fixtureWorkflow } from '../../../helpers/fixtures';
import { chunkedCheckpointScenarios } from '../../../helpers/streaming/chunked-scenarios';
import { streamingScenarios } from '../../../helpers/streaming/scenarios';
import { completeTasks, mapContext } from '../../../helpers/streaming/context-store-contract';
import { ContextStore } from '../../../../lib/runtimes/streaming/context-store';
import { runChunkPrefix } from '../../../../lib/runtimes/streaming/context-chunks';
import type { StreamRunContext } from '../../../../lib/runtimes/streaming/run-context';
import { IN_MEMORY, until } from '../../../helpers/until';
import { INVOKE_CLAIM_PREFIX, type InvokeClaim } from '../../../../lib/runtimes/streaming/invoke-claims';
import { TOKEN_ATTRIBUTE } from '../../../../lib/events/event-seal';
import { rejectedEventsOf } from '../../../../lib/runs/run-view';

describe('streaming engines on the in-memory broker', () => {
  const broker = new MemoryBroker(4);
  streamingScenarios({
    connect: () => new MemoryEventStream(broker),
    async kill(stream, running) {
      (stream as MemoryEventStream).crash();
      await running.stop();
    },
  });
});

describe('streaming engines on the in-memory broker, with contexts checkpointed in chunks', () => {
  const broker = new MemoryBroker(2);
  chunkedCheckpointScenarios({
    connect: () => new MemoryEventStream(broker),
    async kill(stream, running) {
      (stream as MemoryEventStream).crash();
      await running.stop();
    },
  });
});

describe('the Condition Engine with events it cannot use', () => {
  it('skips a malformed event and an event its run rejects, and goes on with the run', async () => {
    const broker = new MemoryBroker(1);
    const stream = new MemoryEventStream(broker);
    const store = new MemoryRunStore();
    const platform = new FakePlatform(fixtureActions);
    // Held back so that both bad events are in the partition before the run can finish.
    platform.hold = (action) => action === 'sum';
    const running = await engines({ stream, store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'poison' });
    try {
      const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks: [[1], [2]] } });
      const badKey = { type: EVENT_TYPES.taskCompleted, id: `${runId}/bad`, time: new Date().toISOString(), data: { runId, stageId: 'sum', taskKey: 'not-a-key', result: 1 } };
      await until('both sums are invoked', () => platform.invocations.length === 2, IN_MEMORY);
      await stream.produce('whiskflow.completions', runId, [{ not: 'an event' }, toStructuredJson(badKey as never)]);
      platform.release();
      const head = await finishedRun(store, runId);
      expect(head).toMatchObject({ status: 'succeeded', output: { sum: 3, parts: [1, 2] } });
      expect(running.condition.stats.invalid).toBe(2);
    } finally {
      await running.stop();
    }
  });
});

describe('the Condition Engine with the deployment\'s event key', () => {
  it('refuses completions of an in-flight task without its attempt\'s token, counts them in the run\'s status, and the run ends with its own results', async () => {
    const broker = new MemoryBroker(1);
    const stream = new MemoryEventStream(broker);
    const store = new MemoryRunStore();
    const platform = new FakePlatform(fixtureActions);
    platform.hold = (action) => action === 'sum';
    const running = await engines({ stream, store, platform, workflows: [fixtureWorkflow('mapreduce')], consumer: 'guarded', eventKey: 'a-deployment-key-of-32-characters' });
    try {
      const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks: [[1], [2]] } });
      await until('both sums are invoked', () => platform.invocations.length === 2, IN_MEMORY);
      // The key of a task in flight, as anyone reading the store or the broker could learn it.
      const claims = await store.listByPrefix<InvokeClaim>(`${INVOKE_CLAIM_PREFIX}${runId}/`, { includeDocs: true });
      const taskKey = claims.find((row) => row.doc?.stageId === 'sum')!.doc!.taskKey;
      const forged = (id: string, token?: string) => ({
        ...toStructuredJson({ type: EVENT_TYPES.taskCompleted, id: `${runId}/${id}`, time: new Date().toISOString(), data: { runId, stageId: 'sum', taskKey, result: 1000 } } as never),
        ...(token !== undefined ? { [TOKEN_ATTRIBUTE]: token } : {}),
      });
      await stream.produce('whiskflow.completions', runId, [forged('unsigned'), forged('made-up', 'made-up-token')]);
      platform.release();
      const head = await finishedRun(store, runId);
      expect(head).toMatchObject({ status: 'succeeded', output: { sum: 3, parts: [1, 2] } });
      expect(running.condition.stats.rejected).toBe(2);
      expect(await rejectedEventsOf(store, runId)).toMatchObject({ count: 2, latest: { eventType: EVENT_TYPES.taskCompleted } });
    } finally {
      await running.stop();
    }
  });
});

describe('the Condition Engine starting over a store with garbage', () => {
  it('deletes the chunks of a run that an engine finished but died before deleting, and no other chunks', async () => {
    const store = new MemoryRunStore();
    const noDeletes = new Proxy(store, {
      get(target, property, receiver) {
        if (property === 'remove' || property === 'removeMany') return () => Promise.reject(new Error('engine died'));
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const dead = new ContextStore(noDeletes, { onGarbageError: () => undefined });
    const checkpoint = await dead.save(mapContext('finished-run', 3_000, 10), undefined);
    const finished = completeTasks(JSON.parse(JSON.stringify(checkpoint)) as StreamRunContext, 10, 2_990);
    finished.state.status = 'succeeded';
    await dead.save(finished, checkpoint);
    await dead.save(mapContext('running-run', 3_000, 10), undefined);
    const chunksOf = async (runId: string): Promise<number> => (await store.listByPrefix(runChunkPrefix(runId))).length;
    expect(await chunksOf('finished-run')).toBeGreaterThan(10);
    const runningChunks = await chunksOf('running-run');

    const stream = new MemoryEventStream(new MemoryBroker(1));
    const running = await engines({ stream, store, platform: new FakePlatform(fixtureActions), workflows: [fixtureWorkflow('mapreduce')], consumer: 'collector' });
    try {
      await until('the finished run\'s chunks are gone', async () => (await chunksOf('finished-run')) === 0, IN_MEMORY);
      expect(await chunksOf('running-run')).toBe(runningChunks);
    } finally {
      await running.stop();
    }
  });
});
