/**
 * Bad input and refusals answer OpenWhisk's status codes and `{ error, code }` bodies, and never damage
 * what is stored: 401, 403, 404, 409, 400, 413, and 429 under the stock throttles.
 */
import { raw } from './support';
import { usePlatform } from '../../helpers/local-platform';

const SECOND_AUTH = '11111111-2222-4333-8444-555555555555:second-key-for-throttle-tests';
const THIRD_AUTH = '66666666-7777-4888-8999-000000000000:third-key-for-concurrency-tests';

const { platform, ow } = usePlatform({
  stockLimits: true,
  subjects: [{ namespace: 'second', auth: SECOND_AUTH }, { namespace: 'third', auth: THIRD_AUTH }],
  runtime: { maxContainers: 2 },
});

beforeAll(async () => {
  await ow.actions.create({ name: 'keeper', action: 'function main() { return { kept: true }; }', params: { original: true } });
});

const errorBody = { error: expect.any(String), code: expect.any(String) };

describe('authentication', () => {
  test('missing, malformed and wrong credentials are 401 with the real text', async () => {
    for (const authorization of [null, 'Bearer abc', `Basic ${Buffer.from('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong').toString('base64')}`]) {
      const response = await raw(platform, 'GET', '/api/v1/namespaces/_/actions', undefined, { authorization });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: 'The supplied authentication is invalid.', code: expect.any(String) });
    }
  });

  test('the API info answers without credentials', async () => {
    const info = await raw(platform, 'GET', '/api/v1', undefined, { authorization: null });
    expect(info.status).toBe(200);
    expect(info.body.api_paths).toEqual(['/api/v1']);
    expect(info.body.limits.actions_per_minute).toBe(120);
  });

  test('another namespace\'s private entities are 403', async () => {
    const response = await raw(platform, 'GET', '/api/v1/namespaces/second/actions/anything');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'The supplied authentication is not authorized to access this resource.', code: expect.any(String) });
    const namespaces = await raw(platform, 'GET', '/api/v1/namespaces');
    expect(namespaces.body).toEqual(['guest']);
  });
});

describe('bad requests', () => {
  test('malformed JSON is a 400 naming the problem', async () => {
    const response = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/broken-json', undefined, { rawBody: '{"exec": {' });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(errorBody);
    expect(response.body.error).toMatch(/^The request content was malformed:\n/);
  });

  test('illegal entity names are 400 with the real text', async () => {
    const response = await raw(platform, 'PUT', `/api/v1/namespaces/_/actions/${encodeURIComponent('bad!name')}`, { exec: { kind: 'nodejs:20', code: 'x' } });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('The name of the entity contains illegal characters.');
    const longName = 'a'.repeat(257);
    const tooLong = await raw(platform, 'GET', `/api/v1/namespaces/_/actions/${longName}`);
    expect(tooLong.status).toBe(400);
  });

  test('an action without exec, or with an unknown kind, is a 400', async () => {
    const noExec = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/no-exec', { parameters: [] });
    expect(noExec.status).toBe(400);
    expect(noExec.body.error).toBe('exec undefined');
    const unknownKind = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/cobol', { exec: { kind: 'cobol:85', code: 'x' } });
    expect(unknownKind.status).toBe(400);
    expect(unknownKind.body.error).toContain("kind 'cobol:85'");
  });

  test('a failed update leaves the stored action as it was', async () => {
    const bad = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/keeper?overwrite=true', { exec: { kind: 'nodejs:20', code: 'x' }, limits: { timeout: 1 } });
    expect(bad.status).toBe(400);
    const garbage = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/keeper?overwrite=true', undefined, { rawBody: 'not json' });
    expect(garbage.status).toBe(400);
    const stored = await ow.actions.get({ name: 'keeper' });
    expect(stored.version).toBe('0.0.1');
    expect(stored.parameters).toEqual([{ key: 'original', value: true }]);
    expect(await ow.actions.invoke({ name: 'keeper', blocking: true, result: true })).toEqual({ kept: true });
  });

  test('list parameters out of range are 400', async () => {
    const response = await raw(platform, 'GET', '/api/v1/namespaces/_/actions?limit=500');
    expect(response.status).toBe(400);
    expect(response.body.error).toBe("The value '500' is not in the range of 0 to 200 for actions.");
  });
});

describe('not found and conflicts', () => {
  test('unknown entities and unknown paths are 404', async () => {
    for (const path of ['/api/v1/namespaces/_/actions/ghost', '/api/v1/namespaces/_/triggers/ghost', '/api/v1/namespaces/_/rules/ghost', '/api/v1/namespaces/_/packages/ghost', '/api/v1/namespaces/_/nonsense']) {
      const response = await raw(platform, 'GET', path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(errorBody);
    }
  });

  test('a name taken by another kind of entity is a 409 conformance error', async () => {
    await ow.triggers.create({ name: 'shared-name' });
    const response = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/shared-name', { exec: { kind: 'nodejs:20', code: 'x' } });
    expect(response.status).toBe(409);
    expect(response.body.error).toBe('Resource by this name exists but is not in this collection.');
    expect((await ow.triggers.get({ name: 'shared-name' })).name).toBe('shared-name');
  });
});

describe('payload size', () => {
  test('an invoke body over 1 MB is 413 with the sizes', async () => {
    const big = { blob: 'x'.repeat(1024 * 1024 + 10) };
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/keeper?blocking=true', big);
    expect(response.status).toBe(413);
    expect(response.body.error).toMatch(/^Request larger than allowed: \d+ > 1048576 bytes\.$/);
    const fire = await raw(platform, 'POST', '/api/v1/namespaces/_/triggers/shared-name', big);
    expect(fire.status).toBe(413);
  });
});

describe('stock throttles', () => {
  test('more than 120 invocations a minute in one namespace are 429 with the real text', async () => {
    const second = { apihost: platform.apihost, auth: SECOND_AUTH };
    const created = await raw(second, 'PUT', '/api/v1/namespaces/_/actions/quick', { exec: { kind: 'nodejs:20', code: 'function main() { return {}; }' } });
    expect(created.status).toBe(200);
    let throttled: { status: number; body: any } | undefined;
    // The window is the current minute; if it rolls over mid-loop the count restarts, hence up to 250 tries.
    for (let attempt = 0; attempt < 250 && !throttled; attempt++) {
      const response = await raw(second, 'POST', '/api/v1/namespaces/_/actions/quick', {});
      if (response.status === 429) throttled = response;
      else expect(response.status).toBe(202);
    }
    expect(throttled?.body.error).toMatch(/^Too many requests in the last minute \(count: \d+, allowed: 120\)\.$/);
    // Other namespaces are not affected.
    expect((await raw(platform, 'POST', '/api/v1/namespaces/_/actions/keeper', {})).status).toBe(202);
  });

  test('more than 100 activations in flight are 429 too many concurrent requests', async () => {
    const third = { apihost: platform.apihost, auth: THIRD_AUTH };
    await raw(third, 'PUT', '/api/v1/namespaces/_/actions/sleepy', { exec: { kind: 'nodejs:20', code: 'function main() { return new Promise((r) => setTimeout(() => r({}), 1500)); }' } });
    let throttled: { status: number; body: any } | undefined;
    for (let attempt = 0; attempt < 110 && !throttled; attempt++) {
      const response = await raw(third, 'POST', '/api/v1/namespaces/_/actions/sleepy', {});
      if (response.status === 429) throttled = response;
    }
    expect(throttled?.body.error).toMatch(/^Too many concurrent requests in flight \(count: \d+, allowed: 100\)\.$/);
  });
});
