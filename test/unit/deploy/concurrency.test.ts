import { allowedConcurrency } from '../../../lib/deploy/concurrency';

/** As the `openwhisk` client rejects a refused update (client-js lib/openwhisk_error.js). */
function refusal(statusCode: number, error: unknown, message = `PUT https://host/api/v1/namespaces/_/actions/whiskflow/task?overwrite=true Returned HTTP ${statusCode} (Bad Request) --> "${String((error as { error?: unknown }).error ?? error)}"`) {
  return Object.assign(new Error(message), { statusCode, error });
}

describe('the concurrency a platform allows', () => {
  it('is the threshold named by a refusal of limits.concurrency (stock OpenWhisk: 1)', () => {
    expect(allowedConcurrency(refusal(400, { error: 'concurrency 32 exceeds allowed threshold of 1', code: 'x' }))).toBe(1);
    expect(allowedConcurrency(refusal(400, { error: 'concurrency 32 exceeds allowed threshold of 8' }))).toBe(8);
    // Only in the message (a client that kept no body).
    expect(allowedConcurrency(refusal(400, undefined, 'Returned HTTP 400 --> "concurrency 32 exceeds allowed threshold of 4"'))).toBe(4);
  });

  it('is unknown for any other failure, which the deploy then reports as it is', () => {
    expect(allowedConcurrency(refusal(400, { error: 'memory size 4096 MB exceeds allowed threshold of 2048 MB' }))).toBeUndefined();
    expect(allowedConcurrency(refusal(500, { error: 'concurrency 32 exceeds allowed threshold of 1' }))).toBeUndefined();
    expect(allowedConcurrency(new Error('socket hang up'))).toBeUndefined();
    expect(allowedConcurrency(undefined)).toBeUndefined();
  });
});
