/**
 * The Rule Engine alone, on the in-memory broker and store: how it starts tasks and how their
 * completions get back to the stream.
 */
import { MemoryBroker, MemoryEventStream, RuleEngine, STREAM_TASK_PARAM } from '../../../../lib/runtimes/streaming';
import { invokeClaimId, type InvokeClaim } from '../../../../lib/runtimes/streaming/invoke-claims';
import { readAgainAfter } from '../../../../lib/runtimes/streaming/activation-watcher';
import { taskInvoke, toStreamJson } from '../../../../lib/runtimes/streaming/orchestration-events';
import { EVENT_TYPES } from '../../../../lib/events/types';
import type { JsonObject } from '../../../../lib/model/json';
import { MemoryRunStore } from '../../../../lib/store/memory';
import type { SubscribeOptions, Subscription } from '../../../../lib/runtimes/streaming/brokers';
import { FakePlatform } from '../../../helpers/streaming/fake-platform';
import { IN_MEMORY, sleep, until } from '../../../helpers/until';
import { claimerChild } from './claimer-child';

const topics = { completions: 'completions', orchestration: 'orchestration' };
const invokeEvent = (taskKey: string, action = 'double') =>
  toStreamJson(taskInvoke({ runId: 'r1', stageId: taskKey.split(':')[0] as string, taskKey, action, params: { n: 2 }, completionTopic: topics.completions, time: '2026-01-01T00:00:00.000Z' }));

describe('RuleEngine', () => {
  let engine: RuleEngine | undefined;
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  function setup(platform: FakePlatform, options: Partial<ConstructorParameters<typeof RuleEngine>[0]> = {}) {
    const broker = new MemoryBroker(2);
    const stream = new MemoryEventStream(broker);
    const store = new MemoryRunStore();
    engine = new RuleEngine({ stream, store, invoker: platform, topics, pollIntervalMs: 5, ...options });
    return { broker, stream, store, engine };
  }

  it('invokes an unmodified action once and reports its activation as task.completed', async () => {
    const platform = new FakePlatform({ double: (params) => ({ result: { n: (params.n as number) * 2 } }) });
    const { broker, stream, store, engine: rule } = setup(platform);
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1'), invokeEvent('a:1:0:1')]);

    await until('the completion is emitted and nothing is watched', () => broker.events(topics.completions).length === 1 && rule.watching() === 0, IN_MEMORY);
    expect(platform.invocations).toEqual([{ action: 'double', params: { n: 2 }, activationId: 'activation-000001' }]);
    expect(broker.events(topics.completions)).toEqual([
      expect.objectContaining({ id: 'r1/a:1:0:1/completed', type: EVENT_TYPES.taskCompleted, data: expect.objectContaining({ result: { n: 4 }, activationId: 'activation-000001' }) }),
    ]);
    await until('the invoke claim is marked reported', async () => (await store.get<InvokeClaim>(invokeClaimId('r1', 'a:1:0:1')))?.reported === true, IN_MEMORY);
  });

  it('heartbeats between the chunks of a batch that starts a wide map, so a long batch keeps its partition', async () => {
    // One batch can hold a whole map's invokes, taking longer than a session timeout to start.
    class CountingHeartbeats extends MemoryEventStream {
      heartbeats = 0;
      override subscribe(options: SubscribeOptions): Promise<Subscription> {
        return super.subscribe({ ...options, handler: (batch) => options.handler({ ...batch, heartbeat: async () => { this.heartbeats += 1; } }) });
      }
    }
    const platform = new FakePlatform({ double: (params) => ({ result: { n: (params.n as number) * 2 } }) });
    const stream = new CountingHeartbeats(new MemoryBroker(1));
    engine = new RuleEngine({ stream, store: new MemoryRunStore(), invoker: platform, topics, pollIntervalMs: 5, concurrency: 16 });
    await engine.start();
    await stream.produce(topics.orchestration, 'r1', Array.from({ length: 40 }, (_, index) => invokeEvent(`a:1:${index}:1`)));
    await until('all 40 tasks are invoked', () => platform.invocations.length === 40, IN_MEMORY);
    expect(stream.heartbeats).toBe(2);
  });

  it('reads a new activation soon after its invoke, not when the interval is up', async () => {
    const platform = new FakePlatform({ double: (params) => ({ result: { n: (params.n as number) * 2 } }) });
    // Rounds a minute apart: only the first read of a new activation reports it within the wait.
    const { broker, stream, engine: rule } = setup(platform, { pollIntervalMs: 60_000 });
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    const giveUpAt = Date.now() + 5_000;
    await until('the completion is emitted (or 5 s passed)', () => broker.events(topics.completions).length === 1 || Date.now() > giveUpAt, IN_MEMORY);
    expect(broker.events(topics.completions)).toHaveLength(1);
    expect(platform.calls).toEqual({ byId: 1 });
  });

  it('reads a young running activation again after its age, an older one after the interval, a long one after a twentieth of its age', () => {
    expect([5, 20, 40, 80, 150, 1_000, 4_000, 100_000].map((age) => readAgainAfter(age, 100))).toEqual([20, 20, 40, 80, 100, 100, 200, 5_000]);
  });

  it('reads many young activations in rounds an interval apart, so that their completions travel in few batches', async () => {
    const platform = new FakePlatform({ slow: () => 'hang' });
    const { stream, engine: rule } = setup(platform, { pollIntervalMs: 1_000 });
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', Array.from({ length: 20 }, (_, index) => invokeEvent(`a:1:${index}:1`, 'slow')));
    await until('the activation is read', () => platform.calls.byId > 0, IN_MEMORY);
    // Young, each would be due again after 20, 40, 80, 160 ms; with 20 watched the next round waits the interval.
    await sleep(400);
    expect(platform.calls.byId).toBeLessThanOrEqual(20);
  });

  it('reads a long-running activation less and less often', async () => {
    const platform = new FakePlatform({ slow: () => 'hang' });
    // Claimed 100 s ago by the engine's clock: a twentieth of its age is more than the 5 s at most
    // between two reads, so within the next 300 ms (60 rounds of 5 ms) it is read once.
    const { stream, engine: rule } = setup(platform, { now: () => Date.now() - 100_000 });
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1', 'slow')]);
    await until('the activation is read once', () => platform.calls.byId === 1, IN_MEMORY);
    await sleep(300);
    expect(platform.calls).toEqual({ byId: 1 });
    expect(rule.watching()).toBe(1);
  });

  it('reports an action error as task.failed', async () => {
    const platform = new FakePlatform({ double: () => ({ error: 'Nope' }) });
    const { broker, stream, engine: rule } = setup(platform);
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    await until('the failure is emitted', () => broker.events(topics.completions).length === 1, IN_MEMORY);
    expect(broker.events(topics.completions)[0]).toMatchObject({ type: EVENT_TYPES.taskFailed, data: { error: { error: 'Nope' } } });
  });

  it('passes the task context to a self-reporting action and does not watch it', async () => {
    const platform = new FakePlatform({ double: () => 'hang' });
    const { stream, engine: rule } = setup(platform, { selfReporting: (action) => action === 'double' });
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    await until('the task is invoked', () => platform.invocations.length === 1, IN_MEMORY);
    expect(platform.invocations[0]?.params).toEqual({
      n: 2,
      [STREAM_TASK_PARAM]: { runId: 'r1', stageId: 'a', taskKey: 'a:1:0:1', completionTopic: topics.completions },
    });
    expect(rule.watching()).toBe(0);
  });

  it('frees the claim when the platform refuses an invoke, so the redelivery invokes', async () => {
    let refusals = 1;
    const platform = new FakePlatform({ double: () => ({ result: {} }) });
    const flaky = Object.assign(Object.create(platform) as FakePlatform, {
      invoke: async (action: string, params: JsonObject) => {
        if (refusals-- > 0) throw Object.assign(new Error('too many requests'), { statusCode: 429 });
        return platform.invoke(action, params);
      },
    });
    const { broker, stream, engine: rule } = setup(flaky);
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    await until('the completion is emitted', () => broker.events(topics.completions).length === 1, IN_MEMORY);
    expect(platform.invocations).toHaveLength(1);
  });

  it('takes over a claim whose engine died between claim and invoke, once the lease is over', async () => {
    let now = 1_000_000;
    const platform = new FakePlatform({ double: () => ({ result: {} }) });
    const { stream, store, engine: rule } = setup(platform, { leaseMs: 60_000, now: () => now });
    await store.createOnly<InvokeClaim>(invokeClaimId('r1', 'a:1:0:1'), {
      type: 'stream-invoke', runId: 'r1', stageId: 'a', taskKey: 'a:1:0:1', action: 'double', completionTopic: topics.completions,
      report: 'poll', claimedAt: now, claimedBy: 'dead-engine',
    });
    await rule.start();
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    await until('the duplicate is counted', () => rule.stats.duplicates >= 1, IN_MEMORY);
    expect(platform.invocations).toHaveLength(0);

    now += 60_001;
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1')]);
    await until('the task is invoked', () => platform.invocations.length === 1, IN_MEMORY);
  });

  it('takes over at once, without waiting out the lease, a claim whose claiming process has ended; a live claimer keeps it', async () => {
    const now = 1_000_000;
    const platform = new FakePlatform({ double: () => ({ result: {} }) });
    const { broker, stream, store, engine: rule } = setup(platform, { leaseMs: 60_000, now: () => now });
    const dead = claimerChild();
    const alive = claimerChild();
    try {
      dead.child.kill('SIGKILL');
      await dead.exited;
      const claimOf = (taskKey: string, claimer: typeof dead.claimer): InvokeClaim => ({
        type: 'stream-invoke', runId: 'r1', stageId: taskKey.split(':')[0] as string, taskKey, action: 'double', completionTopic: topics.completions,
        report: 'poll', claimedAt: now, claimedBy: `engine-${claimer.pid}-rule`, claimer,
      });
      await store.createOnly<InvokeClaim>(invokeClaimId('r1', 'a:1:0:1'), claimOf('a:1:0:1', dead.claimer));
      await store.createOnly<InvokeClaim>(invokeClaimId('r1', 'b:1:0:1'), claimOf('b:1:0:1', alive.claimer));
      await rule.start();
      // The only delivery of both invokes (the clock never moves: no lease runs out).
      await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1'), invokeEvent('b:1:0:1')]);
      await until('the dead claimer\'s task is reported', () => broker.events(topics.completions).length === 1, IN_MEMORY);
      await sleep(50);
      expect(platform.invocations).toHaveLength(1);
      const taken = await store.get<InvokeClaim>(invokeClaimId('r1', 'a:1:0:1'));
      expect(taken).toMatchObject({ claimer: { pid: process.pid }, activationId: 'activation-000001' });
      expect((await store.get<InvokeClaim>(invokeClaimId('r1', 'b:1:0:1')))?.activationId).toBeUndefined();
      // The live claimer ends too: the redelivered batch takes its claim over.
      alive.child.kill('SIGKILL');
      await alive.exited;
      await until('the second task is reported', () => broker.events(topics.completions).length === 2, IN_MEMORY);
      expect(platform.invocations).toHaveLength(2);
    } finally {
      dead.child.kill('SIGKILL');
      alive.child.kill('SIGKILL');
    }
  });

  it('takes over a claim whose engine died between claim and invoke without a second delivery: the batch is not acknowledged while the claim is in flight', async () => {
    let now = 1_000_000;
    const platform = new FakePlatform({ double: () => ({ result: {} }) });
    const { broker, stream, store, engine: rule } = setup(platform, { leaseMs: 60_000, now: () => now });
    await store.createOnly<InvokeClaim>(invokeClaimId('r1', 'a:1:0:1'), {
      type: 'stream-invoke', runId: 'r1', stageId: 'a', taskKey: 'a:1:0:1', action: 'double', completionTopic: topics.completions,
      report: 'poll', claimedAt: now, claimedBy: 'dead-engine',
    });
    await rule.start();
    // The Condition Engine produces each invoke once: this delivery is the only one there will be.
    await stream.produce(topics.orchestration, 'r1', [invokeEvent('a:1:0:1'), invokeEvent('b:1:0:1')]);
    await until('the rule engine catches up', () => rule.stats.duplicates >= 1 && platform.invocations.length === 1, IN_MEMORY);
    expect(platform.invocations[0]?.activationId).toBe('activation-000001');
    now += 60_001;
    await until('the rule engine catches up', () => broker.events(topics.completions).length === 2, IN_MEMORY);
    expect(platform.invocations).toHaveLength(2);
  });
});
