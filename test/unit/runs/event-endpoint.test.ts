/** The HTTP endpoint's requests: CloudEvents in both modes with the workflow's sender token, callback reports by their tokens, and 4xx naming what is wrong. */
import { handleEndpointRequest, type EndpointDelivery, type EndpointRequest } from '../../../lib/runs/event-endpoint';
import { encodeCallbackToken } from '../../../lib/events/callback-token';
import { attemptToken, eventEndpointToken } from '../../../lib/events/event-seal';

const KEY = 'k'.repeat(43);
const calls: unknown[][] = [];
const delivery: EndpointDelivery = {
  eventKey: KEY,
  sendEvent: async (...args) => { calls.push(['send', ...args]); return { model: 'native' }; },
  complete: async (...args) => { calls.push(['complete', ...args]); return { runId: 'r1' }; },
  heartbeat: async (...args) => { calls.push(['heartbeat', ...args]); return { runId: 'r1' }; },
};
const post = (path: string, body: unknown, headers: Record<string, string> = {}): EndpointRequest => ({
  method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body),
});
const bearer = { authorization: `Bearer ${eventEndpointToken(KEY, 'orders')}` };
const context = { runId: 'r1', workflow: 'orders', position: 1, index: 0, attempt: 1, trigger: 'whiskflow-orders', stageId: 'ask', taskKey: 'ask:1:0:1' };
const token = encodeCallbackToken({ model: 'native', context: { ...context, token: attemptToken(KEY, context) } });

describe('the events endpoint', () => {
  beforeEach(() => { calls.length = 0; });

  it('takes a structured CloudEvent with the workflow\'s sender token', async () => {
    const event = { specversion: '1.0', id: 'e1', type: 'payment.received', source: '/pay', key: 'o-1', data: { amount: 5 } };
    const answer = await handleEndpointRequest(post('/events/orders', event, { ...bearer, 'content-type': 'application/cloudevents+json' }), delivery);
    expect(answer.statusCode).toBe(202);
    expect(calls).toEqual([['send', 'orders', { id: 'e1', type: 'payment.received', key: 'o-1', source: '/pay', data: { amount: 5 } }]]);
  });

  it('takes a binary-mode CloudEvent (ce-* headers, the body its data; the subject as key)', async () => {
    const headers = { ...bearer, 'ce-specversion': '1.0', 'ce-id': 'e2', 'ce-type': 'file.landed', 'ce-source': '/bucket', 'ce-subject': '2026-12-07' };
    expect((await handleEndpointRequest(post('/events/orders', { size: 3 }, headers), delivery)).statusCode).toBe(202);
    expect(calls).toEqual([['send', 'orders', { id: 'e2', type: 'file.landed', key: '2026-12-07', source: '/bucket', data: { size: 3 } }]]);
  });

  it.each<[string, EndpointRequest, number, RegExp]>([
    ['no token', post('/events/orders', {}), 401, /sender token/],
    ['another workflow\'s token', post('/events/other', {}, bearer), 403, /not workflow 'other'/],
    ['no CloudEvent', post('/events/orders', { a: 1 }, bearer), 400, /not a CloudEvent/],
    ['no correlation key', post('/events/orders', { specversion: '1.0', id: 'x', type: 't', source: '/s' }, { ...bearer, 'content-type': 'application/cloudevents+json' }), 400, /no correlation key/],
    ['whiskflow\'s own type', post('/events/orders', { specversion: '1.0', id: 'x', type: 'dev.whiskflow.task.completed', source: '/s', key: 'k' }, { ...bearer, 'content-type': 'application/cloudevents+json' }), 400, /whiskflow's own event type/],
    ['an altered callback token', post('/callbacks/complete', { token: encodeCallbackToken({ model: 'native', context: { ...context, attempt: 2, token: attemptToken(KEY, context) } }), result: 1 }), 403, /signature/],
    ['not a token', post('/callbacks/complete', { token: 'nope', result: 1 }), 400, /not a whiskflow callback token/],
    ['a completion without result', post('/callbacks/complete', { token }), 400, /needs a "result"/],
    ['a GET of a route', { method: 'GET', path: '/events/orders', headers: {}, body: '' }, 405, /only POST/],
    ['an unknown route', post('/nowhere', {}), 404, /no such route/],
  ])('refuses %s', async (_name, request, status, message) => {
    const answer = await handleEndpointRequest(request, delivery);
    expect([answer.statusCode, JSON.parse(answer.body).error]).toEqual([status, expect.stringMatching(message)]);
    expect(calls).toEqual([]);
  });

  it('reports a callback\'s completion, failure and heartbeat for its token', async () => {
    expect((await handleEndpointRequest(post('/callbacks/complete', { token, result: { ok: true } }), delivery)).statusCode).toBe(202);
    expect((await handleEndpointRequest(post('/callbacks/fail', { token, error: 'Rejected' }), delivery)).statusCode).toBe(202);
    expect((await handleEndpointRequest(post('/callbacks/heartbeat', { token }), delivery)).statusCode).toBe(202);
    expect(calls).toEqual([['complete', token, { result: { ok: true } }], ['complete', token, { error: 'Rejected' }], ['heartbeat', token]]);
  });
});
