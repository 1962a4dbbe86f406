import { isConnectionFailure, withConnectionRetry } from '../../../lib/store/connection-retry';
import { withoutUrlCredentials } from '../../../lib/store/config';

/** What nano 11 rejects with when fetch got no answer, and what it rejects with on an HTTP error. */
const onTheWay = () => new Error('error happened in your connection. Reason: TypeError: fetch failed');
const answered = (statusCode: number) => Object.assign(new Error('conflict'), { statusCode });

describe('isConnectionFailure', () => {
  test.each([
    ['nano without an answer', onTheWay(), true],
    ['fetch itself', new TypeError('fetch failed'), true],
    ['an HTTP 409', answered(409), false],
    ['an HTTP 503', answered(503), false],
    ['another error', new Error('boom'), false],
    ['not an error', 'fetch failed', false],
  ])('%s', (_what, error, expected) => {
    expect(isConnectionFailure(error)).toBe(expected);
  });
});

describe('withConnectionRetry', () => {
  test('sends a call that failed on the way again, with the same arguments', async () => {
    const calls: unknown[][] = [];
    const client = {
      insert: (...args: unknown[]) => { calls.push(args); return calls.length < 3 ? Promise.reject(onTheWay()) : Promise.resolve({ ok: true }); },
    };
    await expect(withConnectionRetry(client).insert({ _id: 'a' })).resolves.toEqual({ ok: true });
    expect(calls).toEqual([[{ _id: 'a' }], [{ _id: 'a' }], [{ _id: 'a' }]]);
  });

  test('an HTTP answer is the caller\'s: sent once', async () => {
    let calls = 0;
    const client = { insert: () => { calls += 1; return Promise.reject(answered(409)); } };
    await expect(withConnectionRetry(client).insert()).rejects.toMatchObject({ statusCode: 409 });
    expect(calls).toBe(1);
  });

  test('gives up after a few attempts with the last failure', async () => {
    let calls = 0;
    const client = { get: () => { calls += 1; return Promise.reject(onTheWay()); } };
    await expect(withConnectionRetry(client).get()).rejects.toThrow('error happened in your connection');
    expect(calls).toBe(5);
  });

  test('leaves values and methods that return no promise as they are', () => {
    const stream = { pipe: () => undefined };
    const client = { config: { url: 'x' }, listAsStream: () => stream };
    const wrapped = withConnectionRetry(client);
    expect(wrapped.config).toEqual({ url: 'x' });
    expect(wrapped.listAsStream()).toBe(stream);
  });
});

describe('withoutUrlCredentials', () => {
  test('drops the user and password of a CouchDB URL, keeps other stores as they are', () => {
    expect(withoutUrlCredentials({ kind: 'couchdb', url: 'http://admin-1a2b:s3cr3t@127.0.0.1:5984', dbname: 'whiskflow' }))
      .toEqual({ kind: 'couchdb', url: 'http://127.0.0.1:5984', dbname: 'whiskflow' });
    const cloudant = { kind: 'cloudant' as const, url: 'https://x.cloudant.com', dbname: 'w', iamApiKey: 'k' };
    expect(withoutUrlCredentials(cloudant)).toBe(cloudant);
  });
});
