import { responseOf, statusOfResult, summaryOf, ActivationRecord } from '../../../lib/platform/activation-record';

test.each([
  [{ ok: true }, 'success'],
  [{ error: 'x' }, 'application error'],
  [{ error: null }, 'application error'],
  [{}, 'success'],
])('result %j has status %s', (result, status) => {
  expect(statusOfResult(result)).toBe(status);
});

test.each([
  ['success', 0, true],
  ['application error', 1, false],
  ['action developer error', 2, false],
  ['whisk internal error', 3, false],
] as const)('%s has statusCode %d', (status, statusCode, success) => {
  expect(responseOf(status, {})).toEqual({ status, statusCode, success, result: {} });
});

test('the list summary leaves out response and logs', () => {
  const record: ActivationRecord = {
    namespace: 'guest', name: 'a', version: '0.0.1', subject: 'guest', activationId: 'f'.repeat(32), start: 1, end: 3, duration: 2,
    response: responseOf('application error', { error: 'x' }), logs: ['l'], annotations: [{ key: 'path', value: 'guest/a' }], publish: false,
  };
  expect(summaryOf(record)).toEqual({
    activationId: 'f'.repeat(32), annotations: [{ key: 'path', value: 'guest/a' }], duration: 2, end: 3, name: 'a', namespace: 'guest',
    publish: false, start: 1, statusCode: 1, version: '0.0.1',
  });
});

test('a trigger activation (no end) is summarized without end, duration and statusCode, as the controller\'s view does', () => {
  const record: ActivationRecord = {
    namespace: 'guest', name: 't', version: '0.0.1', subject: 'guest', activationId: 'e'.repeat(32), start: 5,
    response: responseOf('success', {}), logs: [], annotations: [], publish: false,
  };
  expect(summaryOf(record)).toEqual({ activationId: 'e'.repeat(32), annotations: [], name: 't', namespace: 'guest', publish: false, start: 5, version: '0.0.1' });
});
