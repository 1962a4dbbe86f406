import { parseEvent, runStartedEvent, taskOutcomeEvent, toPayload, type TaskContext } from '../../../../lib/runtimes/native/events';
import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import { waitsOf } from '../../../../lib/runtimes/native/run-waits';
import type { JsonObject } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { eventsOf, eventsOfRun } from '../../../../lib/store/event-mailbox';
import { docIds, type RunDoc, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

const definition = parseWorkflow(`
name: order
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, timeout: 60, resultPath: $.payment }
  - { id: ship, kind: task, action: ship }
`);

function setup() {
  const store = new MemoryRunStore();
  const invoker = new RecordingInvoker();
  let activation = 0;
  const orchestrate = (params: JsonObject) => handleEvent({ store, invoker, namespace: 'guest', activationId: `o-${++activation}` }, parseEvent(params, 'order', `o-${activation}`));
  const start = (runId: string, orderId: string) => orchestrate(toPayload(runStartedEvent('order', runId, { orderId })));
  const send = (key: string, id: string, data: JsonObject = { amount: 5 }) =>
    orchestrate({ specversion: '1.0', id, type: 'payment.received', source: '/payments', key, data });
  const deploy = () => store.upsert(docIds.workflow('order'), { type: 'workflow', name: 'order', definition, trigger: 'whiskflow-order', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
  return { store, invoker, orchestrate, start, send, deploy };
}

describe('native event stage', () => {
  it('an event fired into the trigger resumes the waiting run once; a duplicate changes nothing', async () => {
    const { store, invoker, start, send, deploy } = setup();
    await deploy();
    await start('r1', 'o-1');
    expect(invoker.starts).toHaveLength(0);
    expect(invoker.timeouts).toEqual([expect.objectContaining({ timeoutMs: 60_000, context: expect.objectContaining({ runId: 'r1', stageId: 'payment' }) })]);
    const run = (await store.get<RunDoc>(docIds.run('r1')))!;
    expect((await waitsOf(store, run)).waits[0]?.what).toMatch(/event payment.received with key "o-1", until /);

    expect(await send('o-1', 'pay-1')).toMatchObject({ outcome: 'delivered', runId: 'r1' });
    expect(invoker.starts).toEqual([expect.objectContaining({ params: { orderId: 'o-1', payment: { amount: 5 } } })]);
    expect(await send('o-1', 'pay-1')).toMatchObject({ outcome: 'duplicate-event' });
    expect(invoker.starts).toHaveLength(1);
    expect(await eventsOfRun(store, 'r1')).toEqual([expect.objectContaining({ wait: expect.objectContaining({ key: 'o-1' }), received: expect.objectContaining({ eventId: 'pay-1' }) })]);
  });

  it('an event that arrives before the run waits is kept for it; one no run takes stays visible as pending', async () => {
    const { store, invoker, start, send, deploy } = setup();
    await deploy();
    expect(await send('o-2', 'early')).toMatchObject({ outcome: 'kept' });
    expect(await send('o-9', 'stray')).toMatchObject({ outcome: 'kept' });
    await start('r2', 'o-2');
    expect(invoker.starts).toEqual([expect.objectContaining({ params: { orderId: 'o-2', payment: { amount: 5 } } })]);
    const events = await eventsOf(store, { workflow: 'order' });
    expect(events.find((event) => event.eventId === 'early')?.consumedBy).toEqual({ runId: 'r2', position: 0 });
    expect(events.find((event) => event.eventId === 'stray')?.consumedBy).toBeUndefined();
  });

  it('two runs waiting on different keys each get their own event; a second event for a resumed wait stays pending', async () => {
    const { store, invoker, start, send, deploy } = setup();
    await deploy();
    await start('a', 'k-a');
    await start('b', 'k-b');
    await send('k-b', 'e-b');
    await send('k-a', 'e-a');
    await send('k-a', 'e-a2');
    expect(invoker.starts.map((task) => task.context.runId).sort()).toEqual(['a', 'b']);
    const pending = (await eventsOf(store, { workflow: 'order' })).filter((event) => !event.consumedBy).map((event) => event.eventId);
    expect(pending).toEqual(['e-a2']);
  });

  it('the timeout fails the stage with whiskflow.Timeout; a later event is kept, not delivered', async () => {
    const { store, invoker, orchestrate, start, send, deploy } = setup();
    await deploy();
    await start('r3', 'o-3');
    const timer = invoker.timeouts[0]!.context as TaskContext;
    await orchestrate(toPayload(taskOutcomeEvent(timer, { error: 'whiskflow.Timeout' })));
    expect(await store.get<RunDoc>(docIds.run('r3'))).toMatchObject({ status: 'failed', failure: { error: 'whiskflow.Timeout', stageId: 'payment' } });
    expect(await send('o-3', 'late')).toMatchObject({ outcome: 'kept' });
    expect(invoker.starts).toHaveLength(0);
  });

  it('refuses an external event without a correlation key', async () => {
    expect(() => parseEvent({ specversion: '1.0', id: 'x', type: 'payment.received', source: '/p', data: {} }, 'order')).toThrow(/correlation key/);
  });
});
