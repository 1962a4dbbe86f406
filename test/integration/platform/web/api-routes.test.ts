/**
 * API routes on the local platform: `wsk api create/list/get/delete` and the npm client's
 * `routes.*` drive the built-in `/whisk.system/apimgmt` web actions; the routes they print answer
 * under `/api/<namespace uuid>/<basepath>/<relpath>` and invoke their web actions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool, wsk } from '../../../helpers/openwhisk-cli';
import { LocalPlatform, startLocalPlatform, usePlatform } from '../../../helpers/local-platform';

const { platform, ow } = usePlatform();
const dir = mkdtempSync(join(tmpdir(), 'whiskflow-apis-'));
const uuid = () => platform.auth.split(':')[0]!;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  await wsk(platform, 'action', 'create', 'hello', file('hello.js', 'function main(p) { return { payload: "Hello world " + (p.name || "stranger"), path: p.__ow_path, method: p.__ow_method }; }'), '--web', 'true');
  await wsk(platform, 'action', 'create', 'book', file('book.js', 'function main(p) { return { statusCode: 200, body: { path: p.__ow_path, method: p.__ow_method } }; }'), '--web', 'true');
  await wsk(platform, 'action', 'create', 'plain', file('plain.js', 'function main() { return {}; }'));
});

test('wsk api create prints the URL of the route, which answers with the web action', async () => {
  const out = await wsk(platform, 'api', 'create', '/hello', '/world', 'get', 'hello');
  const url = `${platform.apihost}/api/${uuid()}/hello/world`;
  expect(out).toContain('ok: created API /hello/world GET for action /_/hello');
  expect(out).toContain(url);
  const response = await fetch(`${url}?name=OpenWhisk`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('x-openwhisk-activation-id')).toMatch(/^[0-9a-f]{32}$/);
  expect(await response.json()).toMatchObject({ payload: 'Hello world OpenWhisk', method: 'get', path: '' });
  // Another verb on the same path, or another path, is not routed: the gateway's own answers.
  const post = await fetch(url, { method: 'POST' });
  expect(post.status).toBe(404);
  expect(await post.json()).toEqual({ status: 404, message: 'Error: Whoops. Verb not supported.' });
  const elsewhere = await fetch(`${url}/else`);
  expect(elsewhere.status).toBe(404);
  expect(await elsewhere.json()).toEqual({ status: 404, message: 'Error: Not found.' });
});

test('list and get show the API; --apiname names it; --response-type http gives path parameters in __ow_path', async () => {
  await wsk(platform, 'api', 'create', '-n', 'Book Club', '/club', '/books/{isbn}', 'get', 'book', '--response-type', 'http');
  await wsk(platform, 'api', 'create', '/club', '/books', 'post', 'book', '--response-type', 'http');
  const list = await wsk(platform, 'api', 'list');
  expect(list).toContain('ok: APIs');
  expect(list).toMatch(/\/guest\/book\s+get\s+Book Club\s+\S+\/api\/[^/]+\/club\/books\/\{isbn\}/);
  expect(list).toMatch(/\/guest\/hello\s+get\s+\/hello\s+/);
  const got = JSON.parse(await wsk(platform, 'api', 'get', '/club')) as { basePath: string; info: { title: string }; paths: Record<string, unknown> };
  expect(got.basePath).toBe('/club');
  expect(got.info.title).toBe('Book Club');
  expect(Object.keys(got.paths).sort()).toEqual(['/books', '/books/{isbn}']);
  const byName = await wsk(platform, 'api', 'get', 'Book Club');
  expect(JSON.parse(byName)).toMatchObject({ basePath: '/club' });

  const book = await fetch(`${platform.apihost}/api/${uuid()}/club/books/978-0596517748`);
  expect(book.status).toBe(200);
  expect(await book.json()).toEqual({ path: '/club/books/978-0596517748', method: 'get' });
  const added = await fetch(`${platform.apihost}/api/${uuid()}/club/books`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
  expect(await added.json()).toEqual({ path: '/club/books', method: 'post' });
});

test('wsk api create refuses an action that is not a web action, and a swagger file with API keys', async () => {
  const refused = await runTool('wsk', ['api', 'create', '/no', '/way', 'get', 'plain'], platform);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("Action '/_/plain' is not a web action");
  const swagger = {
    swagger: '2.0', basePath: '/keyed', info: { title: 'keyed', version: '1.0' },
    securityDefinitions: { key: { type: 'apiKey', name: 'X-Api-Key', in: 'header' } },
    paths: { '/x': { get: { operationId: 'getX', 'x-openwhisk': { namespace: 'guest', package: '', action: 'hello', url: `${platform.apihost}/api/v1/web/guest/default/hello.json` }, responses: {} } } },
  };
  const keyed = await runTool('wsk', ['api', 'create', '-c', file('keyed.json', JSON.stringify(swagger))], platform);
  expect(keyed.code).not.toBe(0);
  expect(keyed.stderr).toContain("API keys and OAuth (securityDefinitions) is not supported by the local platform's API gateway");
});

test('a route to a secured web action sends its secret along, as the gateway does', async () => {
  await wsk(platform, 'action', 'create', 'guarded', file('guarded.js', 'function main() { return { guarded: true }; }'), '--web', 'true', '--web-secure', 'my-secret');
  expect((await fetch(`${platform.apihost}/api/v1/web/guest/default/guarded.json`)).status).toBe(401);
  await wsk(platform, 'api', 'create', '/guard', '/it', 'get', 'guarded');
  const routed = await fetch(`${platform.apihost}/api/${uuid()}/guard/it`);
  expect(routed.status).toBe(200);
  expect(await routed.json()).toEqual({ guarded: true });
});

test('the route management actions need the caller\'s credentials', async () => {
  const anonymous = await fetch(`${platform.apihost}/api/v1/web/whisk.system/apimgmt/getApi.http`);
  expect(anonymous.status).toBe(502);
  expect(await anonymous.json()).toEqual({ error: 'A valid auth key is required.' });
});

test('wsk api create -c takes a swagger file', async () => {
  const swagger = {
    swagger: '2.0', basePath: '/swag', info: { title: 'Swag', version: '1.0' },
    paths: { '/hi': { get: { operationId: 'getHi', 'x-openwhisk': { namespace: 'guest', package: '', action: 'hello', url: `${platform.apihost}/api/v1/web/guest/default/hello.json` }, responses: { default: { description: 'ok' } } } } },
  };
  const out = await wsk(platform, 'api', 'create', '-c', file('swag.json', JSON.stringify(swagger)));
  expect(out).toContain(`${platform.apihost}/api/${uuid()}/swag/hi`);
  expect(await (await fetch(`${platform.apihost}/api/${uuid()}/swag/hi?name=file`)).json()).toMatchObject({ payload: 'Hello world file' });
});

test('wsk api delete removes an operation, then a whole API; the route stops answering', async () => {
  expect(await wsk(platform, 'api', 'delete', '/club', '/books', 'post')).toContain('ok: deleted /books POST from /club');
  expect((await fetch(`${platform.apihost}/api/${uuid()}/club/books`, { method: 'POST' })).status).toBe(404);
  expect((await fetch(`${platform.apihost}/api/${uuid()}/club/books/1`)).status).toBe(200);
  expect(await wsk(platform, 'api', 'delete', '/club')).toContain('ok: deleted API /club');
  expect((await fetch(`${platform.apihost}/api/${uuid()}/club/books/1`)).status).toBe(404);
  const missing = await runTool('wsk', ['api', 'delete', '/club'], platform);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain("API '/club' does not exist.");
});

test('the npm client: routes.create, list, get and delete', async () => {
  const created = await ow.routes.create({ relpath: '/npm', operation: 'GET', action: 'hello', basepath: '/client' });
  expect(created.gwApiUrl).toBe(`${platform.apihost}/api/${uuid()}/client`);
  expect(await (await fetch(`${created.gwApiUrl}/npm?name=npm`)).json()).toMatchObject({ payload: 'Hello world npm' });
  const listed = await ow.routes.list();
  expect(listed.apis.map((api: any) => api.value.apidoc.basePath)).toEqual(expect.arrayContaining(['/client', '/hello']));
  const got = await ow.routes.get({ basepath: '/client' });
  expect(got.apis).toHaveLength(1);
  expect(got.apis[0].value.apidoc.paths['/npm'].get['x-openwhisk']).toMatchObject({ namespace: 'guest', action: 'hello' });
  await expect(ow.routes.create({ relpath: '/x', operation: 'GET', action: 'plain', basepath: '/bad' })).rejects.toThrow(/Action '\/guest\/plain' is not a web action/);
  await ow.routes.delete({ basepath: '/client' });
  expect((await ow.routes.get({ basepath: '/client' })).apis).toEqual([]);
  expect((await fetch(`${created.gwApiUrl}/npm`)).status).toBe(404);
});

test('API definitions are kept in CouchDB: after a restart the route still answers', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-apis-restart-'));
  let first: LocalPlatform | undefined = await startLocalPlatform({ dataDir });
  let second: LocalPlatform | undefined;
  try {
    await wsk(first, 'action', 'create', 'kept', file('kept.js', 'function main() { return { kept: true }; }'), '--web', 'true');
    const out = await wsk(first, 'api', 'create', '/keep', '/it', 'get', 'kept');
    await first.stop();
    first = undefined;
    second = await startLocalPlatform({ dataDir });
    const path = /\/api\/[^/]+\/keep\/it/.exec(out)?.[0];
    expect(path).toBeDefined();
    expect(await (await fetch(`${second.apihost}${path}`)).json()).toEqual({ kept: true });
    expect(await wsk(second, 'api', 'list', '/keep')).toContain('/keep/it');
  } finally {
    await first?.stop();
    await second?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
