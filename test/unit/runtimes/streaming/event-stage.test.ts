/** Event stages and callback tasks under the streaming engines, on the in-memory broker and store. */
import { DEFAULT_TOPICS, MemoryBroker, MemoryEventStream, startStreamRun, type StreamingEngines } from '../../../../lib/runtimes/streaming';
import { receiveStreamEvent } from '../../../../lib/runtimes/streaming/stream-waits';
import { completeCallback, workflowOfToken } from '../../../../lib/report/callback';
import { parseWorkflow } from '../../../../lib/model/parse';
import type { JsonObject } from '../../../../lib/model/json';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { eventDocIds, eventsOf } from '../../../../lib/store/event-mailbox';
import { FakePlatform } from '../../../helpers/streaming/fake-platform';
import { IN_MEMORY, until } from '../../../helpers/until';
import { engines, finishedRun } from '../../../helpers/streaming/engines';

const order = parseWorkflow(`
name: order
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }
  - { id: ship, kind: task, action: ship }
`);
const approval = parseWorkflow(`
name: approval
stages:
  - { id: ask, kind: task, action: ask, callback: true, resultPath: $.answer }
`);

describe('event stages under the streaming engines', () => {
  const broker = new MemoryBroker(2);
  const stream = new MemoryEventStream(broker);
  const store = new MemoryRunStore();
  const platform = new FakePlatform({ ship: (params) => ({ result: params }), ask: () => ({ result: { ignored: true } }) });
  let running: StreamingEngines;
  const send = (key: string, id: string, data: JsonObject) => receiveStreamEvent(store, 'order', { id, type: 'payment.received', key, data, time: new Date().toISOString() },
    DEFAULT_TOPICS.completions, (topic, partitionKey, event) => stream.produce(topic, partitionKey, [event]), 'test');

  beforeAll(async () => {
    running = await engines({ stream, store, platform, workflows: [order, approval], consumer: 'events' });
  });
  afterAll(async () => {
    await running.stop();
    await stream.close();
  });

  it('resumes a waiting run once; an event sent before its run waits is kept for it; a duplicate changes nothing', async () => {
    const early = await send('o-2', 'early', { amount: 2 });
    expect(early).toEqual({ outcome: 'kept' });
    const waitingRun = await startStreamRun(stream, { workflow: 'order', input: { orderId: 'o-1' }, topic: DEFAULT_TOPICS.completions });
    const earlyRun = await startStreamRun(stream, { workflow: 'order', input: { orderId: 'o-2' }, topic: DEFAULT_TOPICS.completions });
    await until('the run waits', async () => (await store.get(eventDocIds.awaits(waitingRun, 1))) !== undefined, IN_MEMORY);
    expect(await send('o-1', 'pay-1', { amount: 1 })).toMatchObject({ outcome: 'delivered', runId: waitingRun });
    expect(await send('o-1', 'pay-1', { amount: 1 })).toMatchObject({ outcome: 'duplicate' });
    expect(await finishedRun(store, waitingRun)).toMatchObject({ status: 'succeeded', output: { orderId: 'o-1', payment: { amount: 1 } } });
    expect(await finishedRun(store, earlyRun)).toMatchObject({ status: 'succeeded', output: { orderId: 'o-2', payment: { amount: 2 } } });
    expect(platform.count('ship')).toBe(2);
    expect((await eventsOf(store, { workflow: 'order' })).map((event) => event.consumedBy?.runId).sort()).toEqual([earlyRun, waitingRun].sort());
  });

  it('a callback task goes on with the outcome reported for its token, not the action result', async () => {
    const runId = await startStreamRun(stream, { workflow: 'approval', input: { request: 1 }, topic: DEFAULT_TOPICS.completions });
    await until('the callback task is invoked', () => platform.count('ask') === 1, IN_MEMORY);
    const token = platform.invocations.find((call) => call.action === 'ask')?.params.whiskflowToken as string;
    expect(token).toMatch(/^wf1\./);
    // `whiskflow complete` finds the workflow's stream by the workflow its token names.
    expect(workflowOfToken(token)).toBe('approval');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await store.get<{ status: string }>(`run/${runId}`))?.status).toBe('running');
    await completeCallback(token, { result: { approved: true } }, { stream });
    expect(await finishedRun(store, runId)).toMatchObject({ status: 'succeeded', output: { request: 1, answer: { approved: true } } });
  });
});
