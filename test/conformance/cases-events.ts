/**
 * Conformance cases of event stages, callback tasks and completion policies on parallel stages and
 * with a reduce (issue 22): same form as cases.ts, with the external events the driver sends
 * (runtime.ts `ScriptedEvent`) and the events no wait took once the run has ended. A wait's timeout
 * fires only when the driver has nothing left to send (no real time passes).
 */
import type { Json, JsonObject } from '../../lib/model/json';
import { parseWorkflow } from '../../lib/model/parse';
import type { ConformanceCase, ExpectedStart } from './cases';
import type { ScriptedEvent } from './runtime';

const start = (stageId: string, action: string, params: JsonObject, extra: Partial<ExpectedStart> = {}): ExpectedStart => ({ stageId, action, attempt: 1, params, ...extra });
const failed = (error: string, stageId: string): ConformanceCase['end'] => ({ status: 'failed', error: { error, stageId } });
const succeeded = (result: Json): ConformanceCase['end'] => ({ status: 'succeeded', result });
const payment = (id: string, key: string, when: ScriptedEvent['when'], amount = 1): ScriptedEvent => ({ id, type: 'payment.received', key, data: { amount }, when });

/** Waits for the payment of `$.orderId`, then ships what the event said. */
const ORDER = parseWorkflow(`
name: order
stages:
  - { id: reserve, kind: task, action: echo, params: { reserved: true } }
  - { id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }
  - { id: ship, kind: task, action: echo, params: { shipped: true } }
`);
const shipped = (amount: number): Json => ({ orderId: 'o-1', reserved: true, payment: { amount }, shipped: true });
const orderStarts = (amount: number): ExpectedStart[] => [
  start('reserve', 'echo', { orderId: 'o-1', reserved: true }),
  start('ship', 'echo', { orderId: 'o-1', reserved: true, payment: { amount }, shipped: true }),
];

const WITH_TIMEOUT = (name: string, caught: boolean) => parseWorkflow(`
name: ${name}
stages:
  - id: payment
    kind: event
    type: payment.received
    key: $.orderId
    timeout: 3600
    resultPath: $.payment
${caught ? '    catch: [{ errors: [whiskflow.Timeout], next: cancel, resultPath: $.timedOut }]' : ''}
  - { id: ship, kind: task, action: echo, params: { shipped: true }, next: done }
  - { id: cancel, kind: task, action: echo, params: { cancelled: true } }
  - { id: done, kind: succeed }
`);

/** Two waits of one run on the same correlation: each is its own waiter (the mailbox must not mistake one for the other). */
const TWO_WAITS = parseWorkflow(`
name: two-payments
stages:
  - { id: first, kind: event, type: payment.received, key: $.orderId, resultPath: $.first }
  - { id: second, kind: event, type: payment.received, key: $.orderId, resultPath: $.second }
`);

export const EVENT_CASES: ConformanceCase[] = [
  {
    name: 'two event stages in a row on the same type and key each take their own event',
    workflow: TWO_WAITS,
    input: { orderId: 'o-1' },
    events: [payment('pay-1', 'o-1', 'when-waiting', 1), payment('pay-2', 'o-1', 'when-waiting', 2)],
    end: succeeded({ orderId: 'o-1', first: { amount: 1 }, second: { amount: 2 } }),
    starts: [],
    pending: [],
  },
  {
    name: 'event arriving after the run waits resumes it with the event data',
    workflow: ORDER,
    input: { orderId: 'o-1' },
    events: [payment('pay-1', 'o-1', 'when-waiting', 7)],
    end: succeeded(shipped(7)),
    starts: orderStarts(7),
    pending: [],
  },
  {
    name: 'event arriving before the run waits is kept for it',
    workflow: ORDER,
    input: { orderId: 'o-1' },
    events: [payment('pay-early', 'o-1', 'before-start', 3)],
    end: succeeded(shipped(3)),
    starts: orderStarts(3),
    pending: [],
  },
  {
    name: 'a duplicated event (same id) resumes the run once and is not kept twice',
    workflow: ORDER,
    input: { orderId: 'o-1' },
    events: [payment('pay-1', 'o-1', 'before-start', 2), payment('pay-1', 'o-1', 'before-start', 2), payment('pay-1', 'o-1', 'after-end', 2)],
    end: succeeded(shipped(2)),
    starts: orderStarts(2),
    pending: [],
  },
  {
    name: 'a second event for a wait already resumed is kept for a later wait, not taken',
    workflow: ORDER,
    input: { orderId: 'o-1' },
    events: [payment('pay-1', 'o-1', 'when-waiting', 1), payment('pay-2', 'o-1', 'after-end', 9)],
    end: succeeded(shipped(1)),
    starts: orderStarts(1),
    pending: ['pay-2'],
  },
  {
    name: 'events matching no run (other key, other type) are recorded and visible',
    workflow: ORDER,
    input: { orderId: 'o-1' },
    events: [
      payment('stray-key', 'o-404', 'before-start'),
      { id: 'stray-type', type: 'refund.issued', key: 'o-1', data: {}, when: 'before-start' },
      payment('pay-1', 'o-1', 'when-waiting', 5),
    ],
    end: succeeded(shipped(5)),
    starts: orderStarts(5),
    pending: ['stray-key', 'stray-type'],
  },
  {
    name: 'event stage timeout caught by catch goes to the catch target',
    workflow: WITH_TIMEOUT('order-timeout-caught', true),
    input: { orderId: 'o-1' },
    events: [payment('other', 'o-2', 'before-start')],
    end: succeeded({ orderId: 'o-1', timedOut: { error: 'whiskflow.Timeout', stageId: 'payment', cause: 'no result within 3600000 ms' }, cancelled: true }),
    starts: [start('cancel', 'echo', { orderId: 'o-1', timedOut: { error: 'whiskflow.Timeout', stageId: 'payment', cause: 'no result within 3600000 ms' }, cancelled: true })],
    pending: ['other'],
  },
  {
    name: 'event stage timeout without catch fails the run whiskflow.Timeout',
    workflow: WITH_TIMEOUT('order-timeout', false),
    input: { orderId: 'o-1' },
    events: [],
    end: failed('whiskflow.Timeout', 'payment'),
    starts: [],
    pending: [],
  },
  {
    name: 'an event after the wait timed out is kept, not taken by the closed wait',
    workflow: parseWorkflow(`
name: order-late
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, timeout: 3600, catch: [{ errors: [whiskflow.Timeout], next: gave-up, resultPath: $.timedOut }] }
  - { id: paid, kind: succeed }
  - { id: gave-up, kind: succeed, output: $.timedOut.error }
`),
    input: { orderId: 'o-1' },
    events: [payment('late', 'o-1', 'after-end')],
    end: succeeded('whiskflow.Timeout'),
    starts: [],
    pending: ['late'],
  },
  {
    name: 'event key that is not in the data fails PathNotFound',
    workflow: ORDER,
    input: { order: 'o-1' },
    end: failed('whiskflow.PathNotFound', 'payment'),
    starts: [start('reserve', 'echo', { order: 'o-1', reserved: true })],
  },
];

const CALLBACK = (name: string, action: string, extra = '') => parseWorkflow(`
name: ${name}
stages:
  - { id: ask, kind: task, action: ${action}, callback: true, timeout: 600000, resultPath: $.answer${extra} }
  - { id: after, kind: task, action: echo, params: { after: true } }
`);

export const CALLBACK_CASES: ConformanceCase[] = [
  {
    name: 'callback task completed for its token goes on with the reported result',
    workflow: CALLBACK('callback-complete', 'echo'),
    input: { request: 1 },
    end: succeeded({ request: 1, answer: { request: 1 }, after: true }),
    starts: [start('ask', 'echo', { request: 1 }, { callback: true }), start('after', 'echo', { request: 1, answer: { request: 1 }, after: true })],
  },
  {
    name: 'callback task failed for its token fails the stage with the reported error',
    workflow: CALLBACK('callback-fail', 'fail'),
    input: { errorName: 'Refused' },
    end: failed('Refused', 'ask'),
    starts: [start('ask', 'fail', { errorName: 'Refused' }, { callback: true })],
  },
  {
    name: 'callback task with no report times out, caught by catch',
    workflow: CALLBACK('callback-timeout', 'never-answers', ', catch: [{ errors: [whiskflow.Timeout], next: after, resultPath: $.late }]'),
    input: { request: 2 },
    end: succeeded({ request: 2, late: { error: 'whiskflow.Timeout', stageId: 'ask', cause: 'no result within 600000 ms' }, after: true }),
    starts: [
      start('ask', 'never-answers', { request: 2 }, { callback: true }),
      start('after', 'echo', { request: 2, late: { error: 'whiskflow.Timeout', stageId: 'ask', cause: 'no result within 600000 ms' }, after: true }),
    ],
  },
];

export const POLICY_CASES: ConformanceCase[] = [
  {
    name: 'parallel with completion any: the first branch to succeed counts',
    workflow: parseWorkflow(`
name: parallel-any
stages:
  - id: hedge
    kind: parallel
    completion: any
    branches:
      - stages: [{ id: a, kind: task, action: double }]
      - stages: [{ id: b, kind: task, action: fail, params: { errorName: Slow } }]
      - stages: [{ id: c, kind: task, action: double }]
`),
    input: { value: 4 },
    end: succeeded([{ value: 8 }]),
    starts: [start('a', 'double', { value: 4 }), start('b', 'fail', { errorName: 'Slow', value: 4 }), start('c', 'double', { value: 4 })],
  },
  {
    name: 'parallel with a tolerated failure count passes the successful branches in branch order',
    workflow: parseWorkflow(`
name: parallel-tolerated
stages:
  - id: fan
    kind: parallel
    toleratedFailureCount: 1
    branches:
      - stages: [{ id: a, kind: task, action: double }]
      - stages: [{ id: b, kind: task, action: fail, params: { errorName: Down } }]
      - stages: [{ id: c, kind: task, action: echo, params: { tag: c } }]
`),
    input: { value: 4 },
    end: succeeded([{ value: 8 }, { tag: 'c', value: 4 }]),
    starts: [start('a', 'double', { value: 4 }), start('b', 'fail', { errorName: 'Down', value: 4 }), start('c', 'echo', { tag: 'c', value: 4 })],
  },
  {
    name: 'parallel with more failures than the tolerated percentage fails the stage',
    workflow: parseWorkflow(`
name: parallel-intolerable
stages:
  - id: fan
    kind: parallel
    toleratedFailurePercentage: 34
    branches:
      - stages: [{ id: a, kind: task, action: fail, params: { errorName: Down } }]
      - stages: [{ id: b, kind: task, action: fail, params: { errorName: Down } }]
      - stages: [{ id: c, kind: task, action: double }]
`),
    input: { value: 4 },
    // The second failure fails the stage: which branch's depends on the order, so only the error is compared.
    end: { status: 'failed', error: { error: 'Down' } },
    starts: [start('a', 'fail', { errorName: 'Down', value: 4 }), start('b', 'fail', { errorName: 'Down', value: 4 }), start('c', 'double', { value: 4 })],
  },
  {
    name: 'map with a tolerated failure percentage: the reduce sees the counted results in input order',
    workflow: parseWorkflow(`
name: map-tolerated-reduce
stages:
  - { id: each, kind: map, items: $.xs, action: double, toleratedFailurePercentage: 50 }
  - { id: total, kind: reduce, action: echo }
`),
    input: { xs: [1, 'x', 3, 4] },
    end: succeeded({ results: [{ value: 2 }, { value: 6 }, { value: 8 }] }),
    starts: [
      start('each', 'double', { value: 1 }), start('each', 'double', { value: 'x' }), start('each', 'double', { value: 3 }), start('each', 'double', { value: 4 }),
      start('total', 'echo', { results: [{ value: 2 }, { value: 6 }, { value: 8 }] }),
    ],
  },
  {
    name: 'map with atLeast 2 of 3: a failed element is tolerated, the reduce sees the two successes',
    workflow: parseWorkflow(`
name: map-quorum-reduce
stages:
  - { id: each, kind: map, items: $.xs, action: double, completion: { atLeast: 2 } }
  - { id: total, kind: reduce, action: echo }
`),
    input: { xs: [2, 'x', 2] },
    end: succeeded({ results: [{ value: 4 }, { value: 4 }] }),
    starts: [
      start('each', 'double', { value: 2 }), start('each', 'double', { value: 'x' }), start('each', 'double', { value: 2 }),
      start('total', 'echo', { results: [{ value: 4 }, { value: 4 }] }),
    ],
  },
  {
    // The rest after the policy decided: a task still running is left to finish (its outcome, here a
    // timeout, is ignored), and a branch of several stages starts none of its later stages.
    name: 'parallel with completion any: a branch of several stages still running starts nothing more once the stage completed',
    workflow: parseWorkflow(`
name: parallel-any-rest
stages:
  - id: hedge
    kind: parallel
    completion: any
    resultPath: $.hedged
    branches:
      - stages: [{ id: fast, kind: task, action: double }]
      - stages:
          - { id: slow, kind: task, action: never-answers, timeout: 1000, catch: [{ errors: [whiskflow.Timeout], next: slow-after }] }
          - { id: slow-after, kind: task, action: echo, params: { tag: late } }
  - { id: next, kind: task, action: echo, params: { tag: next } }
`),
    input: { value: 4 },
    end: succeeded({ tag: 'next', value: 4, hedged: [{ value: 8 }] }),
    starts: [
      start('fast', 'double', { value: 4 }), start('slow', 'never-answers', { value: 4 }),
      start('next', 'echo', { tag: 'next', value: 4, hedged: [{ value: 8 }] }),
    ],
  },
];
