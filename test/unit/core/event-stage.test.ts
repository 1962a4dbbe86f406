import { awaitTaskKey, eventDelivered } from '../../../lib/core/await';
import type { AwaitEventEffect } from '../../../lib/core/effects';
import { keyOfCloudEvent, type ExternalEvent } from '../../../lib/core/correlation';
import { startRun, transition } from '../../../lib/core/transition';
import { runStarted, taskCompleted, taskTimedOut } from '../../../lib/events/build';
import { parseWorkflow } from '../../../lib/model/parse';
import { compile, invokes, T0 } from './helpers';

const ORDER = `
name: order
stages:
  - { id: reserve, kind: task, action: reserve, resultPath: $.reservation }
  - id: payment
    kind: event
    type: payment.received
    key: $.orderId
    timeout: 3600
    resultPath: $.payment
    catch: [{ errors: [whiskflow.Timeout], next: cancel }]
  - { id: ship, kind: task, action: ship, end: true }
  - { id: cancel, kind: task, action: cancel }
`;

const paid = (key: string, id = 'evt-1'): ExternalEvent => ({ id, type: 'payment.received', key, data: { amount: 42 }, time: '2026-01-01T00:10:00.000Z' });

function waitingRun(input = { orderId: 'o-17' }) {
  const workflow = compile(ORDER);
  const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'order', input, time: T0 }));
  const reserved = transition(workflow, started.state, taskCompleted({ runId: 'r', taskKey: 'reserve:1:0:1', result: { id: 'res-1' }, time: T0 }));
  return { workflow, reserved };
}

describe('event stage in the model', () => {
  it('parses type, key, timeout (seconds) and catch', () => {
    const stage = parseWorkflow(ORDER).stages[1];
    expect(stage).toEqual({
      id: 'payment', kind: 'event', eventType: 'payment.received', key: '$.orderId', timeoutMs: 3_600_000,
      resultPath: '$.payment', output: '$', catch: [{ errors: ['whiskflow.Timeout'], next: 'cancel', resultPath: '$.error' }],
    });
  });

  it('refuses an event stage without a type, naming the field', () => {
    expect(() => parseWorkflow('name: x\nstages:\n  - { id: e, kind: event, key: $.k }')).toThrow(/type/);
  });

  it('parses callback tasks', () => {
    const workflow = compile('name: cb\nstages:\n  - { id: approve, kind: task, action: ask, callback: true, timeout: 5000 }');
    expect(workflow.steps.approve).toMatchObject({ kind: 'invoke', callback: true, timeoutMs: 5000 });
  });
});

describe('event stage in the core', () => {
  it('parks with an await-event effect naming type and key, and a timeout timer', () => {
    const { reserved } = waitingRun();
    const awaited = reserved.effects.find((effect): effect is AwaitEventEffect => effect.kind === 'await-event');
    expect(awaited).toEqual({ kind: 'await-event', runId: 'r', stageId: 'payment', seq: 1, taskKey: 'payment:1:0:1', eventType: 'payment.received', key: 'o-17', timeoutMs: 3_600_000 });
    expect(reserved.effects).toContainEqual(expect.objectContaining({ kind: 'schedule-timeout', taskKey: 'payment:1:0:1', ms: 3_600_000 }));
    expect(reserved.state.threads.root).toMatchObject({ stageId: 'payment', wait: { kind: 'task' } });
  });

  it('the event data becomes the result; a duplicate or a second event changes nothing', () => {
    const { workflow, reserved } = waitingRun();
    const resumed = transition(workflow, reserved.state, eventDelivered('r', awaitTaskKey('payment', 1), paid('o-17')));
    expect(invokes(resumed.effects)).toEqual([expect.objectContaining({ action: 'ship', params: { orderId: 'o-17', reservation: { id: 'res-1' }, payment: { amount: 42 } } })]);
    const again = transition(workflow, resumed.state, eventDelivered('r', awaitTaskKey('payment', 1), paid('o-17', 'evt-2')));
    expect(again.effects).toEqual([]);
    expect(again.state).toBe(resumed.state);
    // Its timeout, late, changes nothing either.
    const late = transition(workflow, resumed.state, taskTimedOut({ runId: 'r', taskKey: 'payment:1:0:1', timeoutMs: 3_600_000, time: T0 }));
    expect(invokes(late.effects)).toEqual([]);
  });

  it('the timeout is whiskflow.Timeout, routed by catch', () => {
    const { workflow, reserved } = waitingRun();
    const timedOut = transition(workflow, reserved.state, taskTimedOut({ runId: 'r', taskKey: 'payment:1:0:1', timeoutMs: 3_600_000, time: T0 }));
    expect(invokes(timedOut.effects)).toEqual([expect.objectContaining({ action: 'cancel', params: expect.objectContaining({ error: expect.objectContaining({ error: 'whiskflow.Timeout', stageId: 'payment' }) }) })]);
    // An event after the timeout finds the stage left.
    const late = transition(workflow, timedOut.state, eventDelivered('r', awaitTaskKey('payment', 1), paid('o-17')));
    expect(invokes(late.effects)).toEqual([]);
  });

  it('a number key is taken as its text; a missing key fails the stage with a catchable error', () => {
    expect(waitingRun({ orderId: 17 } as never).reserved.effects).toContainEqual(expect.objectContaining({ kind: 'await-event', key: '17' }));
    const { reserved } = waitingRun({} as never);
    expect(reserved.state).toMatchObject({ status: 'failed', error: { error: 'whiskflow.PathNotFound', stageId: 'payment' } });
  });

  it('a callback task invokes with callback: true and completes only through a report', () => {
    const workflow = compile('name: cb\nstages:\n  - { id: approve, kind: task, action: ask, callback: true }');
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'cb', input: {}, time: T0 }));
    expect(invokes(started.effects)).toEqual([expect.objectContaining({ action: 'ask', callback: true, taskKey: 'approve:1:0:1' })]);
  });

  it('reads the correlation key of a CloudEvent from its key attribute, else its subject', () => {
    expect(keyOfCloudEvent({ key: 'a', subject: 'b' })).toBe('a');
    expect(keyOfCloudEvent({ subject: 'b' })).toBe('b');
    expect(keyOfCloudEvent({ key: 7 })).toBe('7');
    expect(keyOfCloudEvent({})).toBeUndefined();
  });
});
