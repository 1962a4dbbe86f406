/**
 * The Event Receiver under the streaming engines (in memory): a raw CloudEvent produced to the
 * events topic by any producer is kept and resumes the run that waits for it, with a deployment
 * event key (the resuming completion carries the wait's token); one matching no run stays kept.
 */
import { DEFAULT_TOPICS, MemoryBroker, MemoryEventStream, startStreamRun, type StreamingEngines } from '../../../../lib/runtimes/streaming';
import { externalEventOfCloudEvent } from '../../../../lib/runtimes/streaming/event-receiver';
import { isStreamWaitOpen } from '../../../../lib/runtimes/streaming/stream-waits';
import { newEventKey } from '../../../../lib/events/event-seal';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { eventDocIds, eventsOf, waitOf } from '../../../../lib/store/event-mailbox';
import { docIds } from '../../../../lib/store/run-documents';
import { FakePlatform } from '../../../helpers/streaming/fake-platform';
import { IN_MEMORY, until } from '../../../helpers/until';
import { engines, finishedRun } from '../../../helpers/streaming/engines';

const order = parseWorkflow(`
name: order
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }
  - { id: ship, kind: task, action: ship }
`);

const cloudEvent = (id: string, key: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0', id, type: 'payment.received', source: '/shop', workflow: 'order', key, data: { paid: key }, ...extra,
});

describe('the Event Receiver', () => {
  const stream = new MemoryEventStream(new MemoryBroker(2));
  const store = new MemoryRunStore();
  const platform = new FakePlatform({ ship: (params) => ({ result: params }) });
  let running: StreamingEngines;

  beforeAll(async () => {
    running = await engines({ stream, store, platform, workflows: [order], consumer: 'receiver', eventKey: newEventKey() });
  });
  afterAll(async () => {
    await running.stop();
    await stream.close();
  });

  it('takes a raw CloudEvent from the events topic to the waiting run, signed with the wait\'s token', async () => {
    const runId = await startStreamRun(stream, { workflow: 'order', input: { orderId: 'o-1' }, topic: DEFAULT_TOPICS.completions });
    await until('the run waits', async () => (await store.get(eventDocIds.awaits(runId, 1))) !== undefined, IN_MEMORY);
    expect((await waitOf(store, runId, 1))?.token).toEqual(expect.any(String));
    await stream.produce(DEFAULT_TOPICS.events, 'o-1', [cloudEvent('pay-1', 'o-1')]);
    expect(await finishedRun(store, runId)).toMatchObject({ status: 'succeeded', output: { orderId: 'o-1', payment: { paid: 'o-1' } } });
    expect(running.condition.stats.rejected).toBe(0);
  });

  it('keeps an event produced before its run waits (subject as the key), and one that matches no run, visible', async () => {
    await stream.produce(DEFAULT_TOPICS.events, 'o-2', [cloudEvent('pay-2', 'ignored', { key: undefined, subject: 'o-2' }), cloudEvent('stray', 'o-404')]);
    await until('both are kept', async () => (await eventsOf(store, { workflow: 'order' })).length >= 3, IN_MEMORY);
    const runId = await startStreamRun(stream, { workflow: 'order', input: { orderId: 'o-2' }, topic: DEFAULT_TOPICS.completions });
    expect(await finishedRun(store, runId)).toMatchObject({ status: 'succeeded', output: { payment: { paid: 'ignored' } } });
    const pending = (await eventsOf(store, { workflow: 'order' })).filter((event) => !event.consumedBy).map((event) => event.eventId);
    expect(pending).toEqual(['stray']);
    expect(running.receiver.stats).toMatchObject({ delivered: 1, kept: 2 });
  });

  it('refuses what is not an external event for a workflow, naming why', () => {
    expect(externalEventOfCloudEvent({ ...cloudEvent('x', 'k'), workflow: undefined })).toEqual({ invalid: expect.stringContaining('workflow') });
    expect(externalEventOfCloudEvent({ ...cloudEvent('x', 'k'), key: '' })).toEqual({ invalid: expect.stringContaining('correlation key') });
    expect(externalEventOfCloudEvent({ id: 'x' })).toEqual({ invalid: expect.stringContaining('specversion') });
    expect(externalEventOfCloudEvent(cloudEvent('x', 7 as unknown as string))).toMatchObject({ workflow: 'order', event: { id: 'x', key: '7', data: { paid: 7 } } });
  });

  it('a wait is closed once its run has ended, an event went to it, or its timeout passed', async () => {
    const wait = { workflow: 'w', eventType: 't', key: 'k', runId: 'r-closed', position: 1, stageId: 's', since: 0 };
    expect(await isStreamWaitOpen(store, wait)).toBe(true);
    expect(await isStreamWaitOpen(store, { ...wait, deadline: 10 }, 11)).toBe(false);
    await store.createOnly(eventDocIds.consumed(wait, 'e-1'), { type: 'consumed', ...wait, eventId: 'e-1', at: 0 });
    expect(await isStreamWaitOpen(store, wait)).toBe(false);
    await store.createOnly(docIds.run('r-ended'), { type: 'run', runId: 'r-ended', status: 'succeeded' });
    expect(await isStreamWaitOpen(store, { ...wait, runId: 'r-ended' })).toBe(false);
  });
});
