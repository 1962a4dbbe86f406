/**
 * Web actions on the local platform, created and located with the real `wsk` and called over HTTP:
 * parameters and HTTP context, extensions, `.http` responses (binary included), raw HTTP,
 * require-whisk-auth, final parameters, CORS, sequences, errors and activation records.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wsk } from '../../../helpers/openwhisk-cli';
import { clientFor, startLocalPlatform, usePlatform } from '../../../helpers/local-platform';
import { until } from '../../../helpers/until';

const execFileAsync = promisify(execFile);
const { platform, ow } = usePlatform();
const dir = mkdtempSync(join(tmpdir(), 'whiskflow-web-'));

function source(name: string, code: string): string {
  const file = join(dir, `${name}.js`);
  writeFileSync(file, code);
  return file;
}

const ECHO = source('echo', 'function main(params) { return params; }');
const HTTP = source('http', `function main(params) {
  if (params.kind === 'png') return { headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71]).toString('base64') };
  if (params.kind === 'empty') return { statusCode: 201, headers: { 'x-a': ['1', '2'], 'content-type': 'text/plain' } };
  if (params.kind === 'json') return { statusCode: '202', body: { ok: true } };
  if (params.kind === 'bad') return { statusCode: 'nope' };
  if (params.kind === 'fail') return { error: { statusCode: 418, body: 'teapot' } };
  return { statusCode: 200, headers: { 'x-custom': 'yes' }, body: '<b>hi ' + params.name + '</b>' };
}`);

async function url(name: string): Promise<string> {
  const out = await wsk(platform, 'action', 'get', name, '--url');
  const match = /(http\S+)/.exec(out);
  if (!match) throw new Error(`no URL in: ${out}`);
  return match[1]!;
}

beforeAll(async () => {
  await wsk(platform, 'action', 'create', 'echo', ECHO, '--web', 'true');
  await wsk(platform, 'action', 'create', 'http', HTTP, '--web', 'true');
});

test('wsk action get --url prints the URL that answers; query and JSON body become parameters', async () => {
  const echo = await url('echo');
  expect(echo).toBe(`${platform.apihost}/api/v1/web/guest/default/echo`);
  const response = await fetch(`${echo}.json/some/path?name=Jane&n=1`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-thing': 'a' }, body: JSON.stringify({ n: 2, nested: { a: 1 } }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('access-control-allow-origin')).toBe('*');
  const activationId = response.headers.get('x-openwhisk-activation-id');
  expect(activationId).toMatch(/^[0-9a-f]{32}$/);
  const body = await response.json() as Record<string, any>;
  expect(body).toMatchObject({ name: 'Jane', n: 2, nested: { a: 1 }, __ow_method: 'post', __ow_path: '/some/path' });
  expect(body.__ow_headers['x-thing']).toBe('a');
  expect(body.__ow_headers['content-type']).toBe('application/json');
  expect(body.__ow_user).toBeUndefined();
  const record = await ow.activations.get({ name: activationId });
  expect(record.name).toBe('echo');
  expect(record.response.result.name).toBe('Jane');
});

test('form data and text bodies; non-object JSON goes to __ow_body', async () => {
  const echo = await url('echo');
  const form = await (await fetch(`${echo}.json`, { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=two' })).json();
  expect(form).toMatchObject({ a: '1', b: 'two', __ow_method: 'put' });
  const text = await (await fetch(`${echo}.json`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Jane' })).json();
  expect(text).toMatchObject({ __ow_body: 'Jane' });
  const binary = await (await fetch(`${echo}.json`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([1, 2, 3]) })).json();
  expect(binary).toMatchObject({ __ow_body: Buffer.from([1, 2, 3]).toString('base64') });
  const array = await (await fetch(`${echo}.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1,2]' })).json();
  expect(array).toMatchObject({ __ow_body: [1, 2] });
});

test('.http responses: status, headers, text, binary, JSON, empty; a bad one is 400', async () => {
  const http = await url('http');
  const html = await fetch(`${http}?name=Jane`);
  expect(html.status).toBe(200);
  expect(html.headers.get('x-custom')).toBe('yes');
  expect(html.headers.get('content-type')).toBe('text/html; charset=UTF-8');
  expect(await html.text()).toBe('<b>hi Jane</b>');
  const png = await fetch(`${http}.http?kind=png`);
  expect(png.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await png.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));
  const empty = await fetch(`${http}?kind=empty`);
  expect(empty.status).toBe(201);
  expect(empty.headers.get('x-a')).toBe('1, 2');
  expect(empty.headers.get('content-type')).toBeNull();
  const json = await fetch(`${http}?kind=json`);
  expect(json.status).toBe(202);
  expect(await json.json()).toEqual({ ok: true });
  const bad = await fetch(`${http}?kind=bad`);
  expect(bad.status).toBe(400);
  expect((await bad.json() as { error: string }).error).toBe("Response is not valid 'message/http'.");
  const failed = await fetch(`${http}?kind=fail`);
  expect(failed.status).toBe(418);
  expect(await failed.text()).toBe('teapot');
});

test('.text .html .svg .json projections, and their errors', async () => {
  await wsk(platform, 'action', 'create', 'page', source('page', `function main(p) {
    return p.as === 'num' ? { body: 42 } : { html: '<p>h</p>', svg: '<svg/>', text: 'plain', body: p.body };
  }`), '--web', 'true');
  const page = await url('page');
  expect(await (await fetch(`${page}.html`)).text()).toBe('<p>h</p>');
  const svg = await fetch(`${page}.svg`);
  expect(svg.headers.get('content-type')).toBe('image/svg+xml');
  expect(await svg.text()).toBe('<svg/>');
  const text = await fetch(`${page}.text?body=b`);
  expect(text.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
  expect(await text.text()).toBe('b');
  expect(await (await fetch(`${page}.text?as=num`)).text()).toBe('42');
  const html = await fetch(`${page}.html?as=num`);
  expect(html.status).toBe(400);
  expect((await html.json() as { error: string }).error).toBe("Response is not valid 'text/html'.");
});

test('raw-http: __ow_body and __ow_query unparsed, binary base64', async () => {
  await wsk(platform, 'action', 'create', 'raw', ECHO, '--web', 'raw');
  const raw = await url('raw');
  const json = await (await fetch(`${raw}.json?a=1&b=2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1}' })).json();
  expect(json).toMatchObject({ __ow_query: 'a=1&b=2', __ow_body: Buffer.from('{"x":1}').toString('base64') });
  expect(json).not.toHaveProperty('a');
  const text = await (await fetch(`${raw}.json`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' })).json();
  expect(text).toMatchObject({ __ow_body: 'hello', __ow_query: '' });
});

test('final parameters and reserved properties cannot be overridden (400)', async () => {
  await wsk(platform, 'action', 'create', 'fixed', ECHO, '--web', 'true', '-p', 'name', 'Bound');
  const fixed = await url('fixed');
  expect(await (await fetch(`${fixed}.json`)).json()).toMatchObject({ name: 'Bound' });
  for (const query of ['name=Other', '__ow_method=get']) {
    const response = await fetch(`${fixed}.json?${query}`);
    expect(response.status).toBe(400);
    expect((await response.json() as { error: string }).error).toBe('Request defines parameters that are not allowed (e.g., reserved properties).');
  }
});

test('require-whisk-auth: a secret in X-Require-Whisk-Auth, or the caller\'s credentials (then __ow_user)', async () => {
  await wsk(platform, 'action', 'create', 'secret', ECHO, '--web', 'true', '-a', 'require-whisk-auth', 'my-secret');
  const secret = await url('secret');
  expect((await fetch(`${secret}.json`)).status).toBe(401);
  expect((await fetch(`${secret}.json`, { headers: { 'x-require-whisk-auth': 'wrong' } })).status).toBe(401);
  expect((await fetch(`${secret}.json`, { headers: { 'x-require-whisk-auth': 'my-secret' } })).status).toBe(200);
  await wsk(platform, 'action', 'create', 'authed', ECHO, '--web', 'true', '-a', 'require-whisk-auth', 'true');
  const authed = await url('authed');
  expect((await fetch(`${authed}.json`)).status).toBe(401);
  const basic = `Basic ${Buffer.from(platform.auth).toString('base64')}`;
  const ok = await fetch(`${authed}.json`, { headers: { authorization: basic } });
  expect(ok.status).toBe(200);
  expect(await ok.json()).toMatchObject({ __ow_user: 'guest' });
});

test('OPTIONS: the default CORS answer, or the action\'s own with web-custom-options', async () => {
  const echo = await url('echo');
  const options = await fetch(echo, { method: 'OPTIONS', headers: { 'access-control-request-headers': 'x-mine' } });
  expect(options.status).toBe(200);
  expect(options.headers.get('access-control-allow-methods')).toBe('OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH');
  expect(options.headers.get('access-control-allow-headers')).toBe('x-mine');
  expect(options.headers.get('x-openwhisk-activation-id')).toBeNull();
  await wsk(platform, 'action', 'create', 'custom', source('custom', `function main(p) {
    return p.__ow_method === 'options' ? { headers: { 'Access-Control-Allow-Methods': 'OPTIONS, GET' }, statusCode: 200 } : { body: 'x' };
  }`), '--web', 'true', '-a', 'web-custom-options', 'true');
  const custom = await fetch(await url('custom'), { method: 'OPTIONS' });
  expect(custom.headers.get('access-control-allow-methods')).toBe('OPTIONS, GET');
  expect(custom.headers.get('access-control-allow-origin')).toBeNull();
});

test('in a package; as a sequence; not exported, missing and unknown method answer as OpenWhisk', async () => {
  await wsk(platform, 'package', 'create', 'demo');
  await wsk(platform, 'action', 'create', 'demo/hello', source('hello', 'function main(p) { return { greeting: "hello " + p.name }; }'), '--web', 'true');
  const hello = await url('demo/hello');
  expect(hello).toBe(`${platform.apihost}/api/v1/web/guest/demo/hello`);
  expect(await (await fetch(`${hello}.json?name=pkg`)).json()).toEqual({ greeting: 'hello pkg' });
  await wsk(platform, 'action', 'create', 'shout', source('shout', 'function main(p) { return { body: p.greeting.toUpperCase() }; }'));
  await wsk(platform, 'action', 'create', 'seq', '--sequence', 'demo/hello,shout', '--web', 'true');
  const seq = await fetch(`${await url('seq')}.http?name=seq`);
  expect(seq.status).toBe(200);
  expect(await seq.text()).toBe('HELLO SEQ');
  expect(seq.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);

  const hidden = await fetch(`${platform.apihost}/api/v1/web/guest/default/shout.json`);
  expect(hidden.status).toBe(404);
  expect((await hidden.json() as { error: string }).error).toBe('The requested resource does not exist.');
  expect((await fetch(`${platform.apihost}/api/v1/web/guest/default/nothing.json`)).status).toBe(404);
  expect((await fetch(`${platform.apihost}/api/v1/web/nobody/default/echo.json`)).status).toBe(404);
  await wsk(platform, 'action', 'update', 'echo', '--web', 'false');
  expect((await fetch(`${platform.apihost}/api/v1/web/guest/default/echo.json`)).status).toBe(404);
  await wsk(platform, 'action', 'update', 'echo', '--web', 'true');
  // fetch refuses TRACE; curl sends it.
  const trace = await curl('-X', 'TRACE', `${platform.apihost}/api/v1/web/guest/default/echo.json`);
  expect(trace.status).toBe(405);
  expect(JSON.parse(trace.body)).toMatchObject({ error: 'HTTP method not allowed, supported methods: GET, DELETE, POST, PUT, HEAD, OPTIONS, PATCH' });
});

test('errors: a crash is 400, an application error is answered by its error property', async () => {
  await wsk(platform, 'action', 'create', 'crash', source('crash', 'function main() { throw new Error("boom"); }'), '--web', 'true');
  const crash = await curl(`${await url('crash')}.json`);
  expect(crash.status).toBe(400);
  expect(JSON.parse(crash.body)).toMatchObject({ error: 'There was an error processing your request.' });
  expect(crash.headers).toMatch(/x-openwhisk-activation-id: [0-9a-f]{32}/i);
  await wsk(platform, 'action', 'create', 'refuse', source('refuse', 'function main(p) { return p.object ? { error: { why: "no" } } : { error: "no" }; }'), '--web', 'true');
  const refuse = await url('refuse');
  const text = await fetch(`${refuse}.json`);
  expect(text.status).toBe(400);
  expect((await text.json() as { error: string }).error).toBe("Response is not valid 'application/json'.");
  const object = await fetch(`${refuse}.json?object=1`);
  expect(object.status).toBe(200);
  expect(await object.json()).toEqual({ why: 'no' });
});

/** curl for what fetch will not send (TRACE) and to see the raw answer. */
async function curl(...args: string[]): Promise<{ status: number; headers: string; body: string }> {
  const { stdout } = await execFileAsync('curl', ['-s', '-i', ...args]);
  const [head, ...rest] = stdout.split('\r\n\r\n');
  return { status: Number(/^HTTP\/[\d.]+ (\d+)/.exec(head ?? '')?.[1]), headers: head ?? '', body: rest.join('\r\n\r\n') };
}

test('a web action still running when the blocking wait ends answers 202 with its activation id', async () => {
  const short = await startLocalPlatform({ limits: { blockingWaitMs: 200 } });
  try {
    await wsk(short, 'action', 'create', 'slow', source('slow', 'function main() { return new Promise((r) => setTimeout(() => r({ done: true }), 3000)); }'), '--web', 'true');
    const response = await fetch(`${short.apihost}/api/v1/web/guest/default/slow.json`);
    expect(response.status).toBe(202);
    expect((await response.json() as { error: string }).error).toBe('Response not yet ready.');
    const activationId = response.headers.get('x-openwhisk-activation-id');
    expect(activationId).toMatch(/^[0-9a-f]{32}$/);
    const record = await until('the slow activation record', async () => {
      try {
        return await clientFor(short).activations.get({ name: activationId! }) as { response: { result: unknown } };
      } catch {
        return undefined;
      }
    });
    expect(record.response.result).toEqual({ done: true });
  } finally {
    await short.stop();
  }
});
