import { isTransient } from '../../../lib/openwhisk/throttle';

/** The error openwhisk-client-js throws for a failed connection: its message only (lib/client.js handleErrors). */
function clientConnectionError(reason: string): Error {
  const error = new Error(`Unknown Error From API: ${reason}`) as Error & { error?: unknown; statusCode?: unknown };
  error.error = undefined;
  error.statusCode = undefined;
  return error;
}

describe('isTransient', () => {
  it('retries the statuses and socket codes of a throttled or unavailable platform', () => {
    expect(isTransient({ statusCode: 429 })).toBe(true);
    expect(isTransient({ statusCode: 502 })).toBe(false);
    expect(isTransient({ code: 'ECONNRESET' })).toBe(true);
  });

  it('retries a connection reset the openwhisk client reports by message only', () => {
    expect(isTransient(clientConnectionError('read ECONNRESET'))).toBe(true);
    expect(isTransient(clientConnectionError('connect ECONNREFUSED 127.0.0.1:3233'))).toBe(true);
    expect(isTransient(clientConnectionError('invalid json'))).toBe(false);
    expect(isTransient(new Error('read ECONNRESET in a user message'))).toBe(false);
  });
});
