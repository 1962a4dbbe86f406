/**
 * Actions over the official `openwhisk` client against the local platform with the real Node.js runtime:
 * CRUD, blocking / non-blocking / result invokes, errors, parameter merging, binary actions, and an
 * action that calls back into the platform with the injected `__OW_*` environment.
 */
import AdmZip from 'adm-zip';
import { DEFAULT_NODEJS_KIND } from '../../../lib/platform/entities';
import { activationOf, annotation, raw } from './support';
import { usePlatform } from '../../helpers/local-platform';

const { platform, ow } = usePlatform();


const echo = 'function main(params) { console.log("echo", JSON.stringify(params)); return { got: params }; }';

describe('action CRUD', () => {
  test('create returns the entity with exec annotation, version and limits; get and list see it', async () => {
    const created = await ow.actions.create({ name: 'crud-a', action: echo, params: { fixed: 1 }, annotations: { team: 'x' }, limits: { timeout: 5000, memory: 128 } });
    // Stored with the concrete kind `nodejs:default` stands for, as the controller stores it.
    expect(created).toMatchObject({ namespace: 'guest', name: 'crud-a', version: '0.0.1', publish: false, exec: { kind: DEFAULT_NODEJS_KIND, code: echo, binary: false } });
    expect(created.parameters).toEqual([{ key: 'fixed', value: 1 }]);
    expect(created.annotations).toEqual(expect.arrayContaining([{ key: 'team', value: 'x' }, { key: 'exec', value: DEFAULT_NODEJS_KIND }]));
    expect(created.limits).toEqual({ timeout: 5000, memory: 128, logs: 10, concurrency: 1 });

    const fetched = await ow.actions.get({ name: 'crud-a' });
    expect(fetched.exec.code).toBe(echo);
    const withoutCode = await raw(platform, 'GET', '/api/v1/namespaces/_/actions/crud-a?code=false');
    expect(withoutCode.status).toBe(200);
    expect(withoutCode.body.exec.code).toBeUndefined();
    expect(withoutCode.body.exec.kind).toBe(DEFAULT_NODEJS_KIND);

    const listed = await ow.actions.list();
    expect(listed.map((action: { name: string }) => action.name)).toContain('crud-a');
  });

  test('PUT on an existing action is 409 without overwrite; with overwrite the version bumps and fields merge', async () => {
    await ow.actions.create({ name: 'crud-b', action: echo, params: { a: 1 } });
    const again = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/crud-b', { exec: { kind: 'nodejs:20', code: echo } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: 'resource already exists', code: expect.any(String) });

    const updated = await ow.actions.update({ name: 'crud-b', action: 'function main() { return { v: 2 }; }' });
    expect(updated.version).toBe('0.0.2');
    // Parameters not sent in the update keep their values, like the real controller.
    expect(updated.parameters).toEqual([{ key: 'a', value: 1 }]);
    expect(await ow.actions.invoke({ name: 'crud-b', blocking: true, result: true })).toEqual({ v: 2 });
  });

  test('list honours limit, skip and count', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) await ow.actions.create({ name, action: echo });
    const all = await ow.actions.list({ limit: 200 });
    const count = await raw(platform, 'GET', '/api/v1/namespaces/_/actions?count=true');
    expect(count.body).toEqual({ actions: all.length });
    const firstTwo = await ow.actions.list({ limit: 2 });
    const skipped = await ow.actions.list({ limit: 2, skip: 1 });
    expect(firstTwo).toHaveLength(2);
    expect(skipped[0].name).toBe(firstTwo[1].name);
    // Newest first: the last one created leads.
    expect(all[0].name).toBe('page-3');
  });

  test('delete returns the action; afterwards get is 404', async () => {
    await ow.actions.create({ name: 'crud-c', action: echo });
    const deleted = await ow.actions.delete({ name: 'crud-c' });
    expect(deleted.name).toBe('crud-c');
    const missing = await raw(platform, 'GET', '/api/v1/namespaces/_/actions/crud-c');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('The requested resource does not exist.');
  });

  test('limits outside the real bounds are rejected with 400 and nothing is stored', async () => {
    const tooShort = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/bad-limits', { exec: { kind: 'nodejs:20', code: echo }, limits: { timeout: 50 } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error).toContain('duration 50 milliseconds below allowed threshold of 100 milliseconds');
    const tooBig = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/bad-limits', { exec: { kind: 'nodejs:20', code: echo }, limits: { memory: 4096 } });
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error).toContain('memory 4096 MB exceeds allowed threshold of 512 MB');
    expect((await raw(platform, 'GET', '/api/v1/namespaces/_/actions/bad-limits')).status).toBe(404);
  });
});

describe('invoke', () => {
  beforeAll(async () => {
    await ow.actions.create({ name: 'echo', action: echo, params: { fromAction: 'a', shared: 'action' } });
  });

  test('blocking invoke answers the activation record with the real annotations', async () => {
    const activation = await ow.actions.invoke({ name: 'echo', blocking: true, params: { shared: 'body' } });
    expect(activation).toMatchObject({ namespace: 'guest', name: 'echo', subject: 'guest', version: '0.0.1', publish: false });
    expect(activation.activationId).toMatch(/^[0-9a-f]{32}$/);
    expect(activation.response).toEqual({ status: 'success', statusCode: 0, success: true, result: { got: { fromAction: 'a', shared: 'body' } } });
    expect(activation.duration).toBe(activation.end - activation.start);
    expect(annotation(activation, 'path')).toBe('guest/echo');
    expect(annotation(activation, 'kind')).toBe('nodejs:20');
    expect(annotation(activation, 'limits')).toEqual({ timeout: 60000, memory: 256, logs: 10, concurrency: 1 });
    expect(typeof annotation(activation, 'waitTime')).toBe('number');
    expect(activation.logs.some((line: string) => /stdout: echo /.test(line))).toBe(true);
  });

  test('result=true answers only the result', async () => {
    expect(await ow.actions.invoke({ name: 'echo', blocking: true, result: true, params: { x: 1 } }))
      .toEqual({ got: { fromAction: 'a', shared: 'action', x: 1 } });
    const direct = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/echo?blocking=true&result=true', { y: 2 });
    expect(direct.status).toBe(200);
    expect(direct.body).toEqual({ got: { fromAction: 'a', shared: 'action', y: 2 } });
  });

  test('non-blocking invoke answers 202 with an id whose record appears when the run ends', async () => {
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/echo', { n: 7 });
    expect(response.status).toBe(202);
    expect(Object.keys(response.body)).toEqual(['activationId']);
    const record = await activationOf(ow, response.body.activationId);
    expect(record.response.result).toEqual({ got: { fromAction: 'a', shared: 'action', n: 7 } });
    const result = await ow.activations.result({ name: response.body.activationId });
    expect(result.result).toEqual(record.response.result);
    const logs = await ow.activations.logs({ name: response.body.activationId });
    expect(logs.logs).toEqual(record.logs);
  });

  test('an application error is a 502 carrying the activation on blocking invokes', async () => {
    await ow.actions.create({ name: 'fails', action: 'function main() { return { error: "boom" }; }' });
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/fails?blocking=true', {});
    expect(response.status).toBe(502);
    expect(response.body.response).toEqual({ status: 'application error', statusCode: 1, success: false, result: { error: 'boom' } });
    await expect(ow.actions.invoke({ name: 'fails', blocking: true, result: true })).rejects.toMatchObject({ statusCode: 502 });
  });

  test('a thrown error and a rejected promise are application errors too', async () => {
    await ow.actions.create({ name: 'rejects', action: 'async function main() { throw new Error("nope"); }' });
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/rejects?blocking=true', {});
    expect(response.status).toBe(502);
    expect(response.body.response.status).toBe('application error');
    expect(JSON.stringify(response.body.response.result)).toContain('nope');
  });

  test('an action that does not initialize is a developer error (statusCode 2)', async () => {
    await ow.actions.create({ name: 'broken', action: 'this is not javascript (' });
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/broken?blocking=true', {});
    expect(response.status).toBe(502);
    expect(response.body.response).toMatchObject({ status: 'action developer error', statusCode: 2, success: false });
    expect(typeof response.body.response.result.error).toBe('string');
  });

  test('an action over its time limit ends as a developer error with the timeout annotation', async () => {
    await ow.actions.create({ name: 'slow', action: 'function main() { return new Promise((r) => setTimeout(() => r({}), 5000)); }', limits: { timeout: 300 } });
    const response = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/slow?blocking=true', {});
    expect(response.status).toBe(502);
    expect(response.body.response.status).toBe('action developer error');
    expect(annotation(response.body, 'timeout')).toBe(true);
  });

  test('a binary (zip) action loads the main file named by package.json', async () => {
    const zip = new AdmZip();
    zip.addFile('package.json', Buffer.from(JSON.stringify({ name: 'zipped', main: 'lib/entry.js' })));
    zip.addFile('lib/entry.js', Buffer.from('exports.main = (p) => ({ zipped: true, helper: require("./helper").value, p });'));
    zip.addFile('lib/helper.js', Buffer.from('exports.value = 42;'));
    const code = zip.toBuffer().toString('base64');
    const created = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/zipped', { exec: { kind: 'nodejs:20', code, binary: true } });
    expect(created.status).toBe(200);
    expect(await ow.actions.invoke({ name: 'zipped', blocking: true, result: true, params: { k: 'v' } })).toEqual({ zipped: true, helper: 42, p: { k: 'v' } });
  });

  test('an action calls back into the platform with require("openwhisk")() and the injected env', async () => {
    await ow.actions.create({ name: 'callee', action: 'function main(p) { return { doubled: p.n * 2 }; }' });
    const caller = `
      const openwhisk = require('openwhisk');
      async function main(p) {
        const ow = openwhisk();
        const result = await ow.actions.invoke({ name: 'callee', blocking: true, result: true, params: { n: p.n } });
        return { fromCallee: result, namespace: process.env.__OW_NAMESPACE, action: process.env.__OW_ACTION_NAME };
      }`;
    await ow.actions.create({ name: 'caller', action: caller });
    const result = await ow.actions.invoke({ name: 'caller', blocking: true, result: true, params: { n: 21 } });
    expect(result).toEqual({ fromCallee: { doubled: 42 }, namespace: 'guest', action: '/guest/caller' });
  });

  test('parameters of an action annotated final cannot be overridden by the invoke body', async () => {
    await ow.actions.create({ name: 'fixed', action: echo, params: { region: 'eu' }, annotations: { final: true } });
    const refused = await raw(platform, 'POST', '/api/v1/namespaces/_/actions/fixed?blocking=true', { region: 'us' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('Request defines parameters that are not allowed (e.g., reserved properties).');
    expect(await ow.actions.invoke({ name: 'fixed', blocking: true, result: true, params: { other: 1 } })).toEqual({ got: { region: 'eu', other: 1 } });
  });

  test('invoking a missing action is 404 with the real text', async () => {
    await expect(ow.actions.invoke({ name: 'nobody-home', blocking: true })).rejects.toMatchObject({ statusCode: 404 });
  });
});
