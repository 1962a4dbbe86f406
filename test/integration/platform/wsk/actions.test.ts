/**
 * `wsk action`: create/update/get/list/delete/invoke from a code file and a zip, `--kind`, `--main`,
 * `--param`/`--param-file`, limits, `--sequence`, `get --url`, `get --save`, `--web` as an annotation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { annotationOf, byKey, useWsk, zipAction } from './support';

const suite = useWsk();

test('create from a .js file with parameters, a parameter file and limits; get shows them as stored', async () => {
  const code = 'function main(p) { console.log("hello log"); return { greeting: `hello ${p.name}`, p }; }';
  suite.file('params.json', JSON.stringify({ name: 'file', nested: { a: [1, 2] } }));
  expect(await suite.run('action', 'create', 'hello', suite.file('hello.js', code), '-p', 'level', '3', '--param-file', join(suite.dir(), 'params.json'), '-t', '5000', '-m', '128', '-l', '5'))
    .toBe('ok: created action hello\n');
  const action = await suite.json('action', 'get', 'hello');
  expect(action).toMatchObject({
    namespace: 'guest', name: 'hello', version: '0.0.1', publish: false,
    limits: { timeout: 5000, memory: 128, logs: 5, concurrency: 1 },
  });
  expect(byKey(action.parameters)).toEqual([{ key: 'level', value: 3 }, { key: 'name', value: 'file' }, { key: 'nested', value: { a: [1, 2] } }]);
  // wsk asks for the code only when saving (?code=false).
  expect(action.exec.code).toBeUndefined();
  expect(action.exec.binary).toBe(false);
  expect(annotationOf(action, 'exec')).toBe(action.exec.kind);
});

test('invoke --blocking --result merges the invoke parameters over the defaults; logs are recorded', async () => {
  const result = await suite.json('action', 'invoke', 'hello', '-b', '-r', '-p', 'name', 'wsk');
  expect(result).toEqual({ greeting: 'hello wsk', p: { level: 3, name: 'wsk', nested: { a: [1, 2] } } });
  const full = await suite.json('action', 'invoke', 'hello', '--blocking', '--param-file', join(suite.dir(), 'params.json'));
  expect(full).toMatchObject({ name: 'hello', namespace: 'guest', response: { status: 'success', statusCode: 0, success: true } });
  expect(full.logs).toEqual([expect.stringMatching(/^\S+Z\s+stdout: hello log$/)]);
  const out = await suite.run('action', 'invoke', 'hello');
  expect(out).toMatch(/^ok: invoked \/_\/hello with id [0-9a-f]{32}\n$/);
});

test('an application error exits 246 (502) with the error as result', async () => {
  await suite.run('action', 'create', 'fails', suite.file('fails.js', 'function main() { return { error: "boom" }; }'));
  const result = await suite.attempt('action', 'invoke', 'fails', '-b', '-r');
  expect(result.code).toBe(502 - 256);
  // wsk prints a failed activation's result on stderr.
  expect(JSON.parse(result.stderr)).toEqual({ error: 'boom' });
});

test('update changes only what is given and bumps the version; --web true is stored as annotations', async () => {
  await suite.run('action', 'update', 'hello', '-t', '10000');
  let action = await suite.json('action', 'get', 'hello');
  expect(action.version).toBe('0.0.2');
  expect(action.limits).toEqual({ timeout: 10000, memory: 128, logs: 5, concurrency: 1 });
  expect(byKey(action.parameters).map((p) => p.key)).toEqual(['level', 'name', 'nested']);
  await suite.run('action', 'update', 'hello', '--web', 'true');
  action = await suite.json('action', 'get', 'hello');
  expect(annotationOf(action, 'web-export')).toBe(true);
  expect(annotationOf(action, 'final')).toBe(true);
  expect(annotationOf(action, 'raw-http')).toBe(false);
  expect(await suite.run('action', 'get', 'hello', '--url')).toBe(`ok: got action hello\n${suite.platform.apihost}/api/v1/web/guest/default/hello\n`);
});

test('get --url of a plain action names its REST path', async () => {
  await suite.run('action', 'create', 'plain', suite.file('plain-source.js', 'function main() { return {}; }'));
  expect(await suite.run('action', 'get', 'plain', '--url')).toBe(`ok: got action plain\n${suite.platform.apihost}/api/v1/namespaces/guest/actions/plain\n`);
});

test('get --save writes the code to <name>.js in the working directory; --save-as to the file given', async () => {
  const out = await suite.run('action', 'get', 'plain', '--save');
  expect(out).toMatch(/^ok: saved action code to \/\S+\/plain\.js\n$/);
  expect(readFileSync(join(suite.dir(), 'plain.js'), 'utf8')).toBe('function main() { return {}; }');
  await suite.run('action', 'get', 'hello', '--save-as', 'copy.js');
  expect(readFileSync(join(suite.dir(), 'copy.js'), 'utf8')).toContain('hello log');
});

test('a zip with --kind and --main runs the named export of the package.json main', async () => {
  const zip = suite.file('action.zip', zipAction('exports.entry = (p) => ({ zipped: true, x: p.x });'));
  await suite.run('action', 'create', 'zipped', zip, '--kind', 'nodejs:20', '--main', 'entry');
  const action = await suite.json('action', 'get', 'zipped');
  expect(action.exec).toMatchObject({ kind: 'nodejs:20', binary: true, main: 'entry' });
  expect(await suite.json('action', 'invoke', 'zipped', '-r', '-p', 'x', '7')).toEqual({ zipped: true, x: 7 });
  await suite.run('action', 'get', 'zipped', '--save');
  expect(readFileSync(join(suite.dir(), 'zipped.zip'))).toEqual(readFileSync(zip));
});

test('--kind nodejs:20 on a .js file; blackbox (--docker) actions are refused with 400', async () => {
  await suite.run('action', 'create', 'kinded', suite.file('kinded.js', 'function main() { return { ok: 1 }; }'), '--kind', 'nodejs:20');
  expect((await suite.json('action', 'get', 'kinded')).exec.kind).toBe('nodejs:20');
  const refused = await suite.attempt('action', 'create', 'boxed', '--docker', 'openwhisk/example');
  expect(refused.code).toBe(400 - 256);
  expect(refused.stderr).toContain("kind 'blackbox' is not supported");
  expect((await suite.attempt('action', 'get', 'boxed')).code).toBe(404 - 256);
});

test('limits out of range are refused with the controller\'s text', async () => {
  const result = await suite.attempt('action', 'create', 'too-long', join(suite.dir(), 'plain-source.js'), '-t', '999999999');
  expect(result.code).toBe(400 - 256);
  expect(result.stderr).toContain('duration 999999999 milliseconds exceeds allowed threshold');
});

test('--sequence of own actions and /whisk.system/utils actions', async () => {
  await suite.run('action', 'create', 'upper', suite.file('upper.js', 'function main(p) { return { ...p, payload: String(p.payload).toUpperCase() }; }'));
  await suite.run('action', 'create', 'pipeline', '--sequence', 'upper,/whisk.system/utils/split,/whisk.system/utils/sort');
  const action = await suite.json('action', 'get', 'pipeline');
  expect(action.exec).toEqual({ kind: 'sequence', components: ['/guest/upper', '/whisk.system/utils/split', '/whisk.system/utils/sort'] });
  const result = await suite.json('action', 'invoke', 'pipeline', '-r', '-p', 'payload', 'c a b', '-p', 'separator', ' ');
  expect(result).toEqual({ lines: ['A', 'B', 'C'], length: 3 });
  const missing = await suite.attempt('action', 'create', 'broken-seq', '--sequence', 'upper,nothing-here');
  expect(missing.code).toBe(400 - 256);
  expect(missing.stderr).toContain('Sequence component does not exist.');
});

test('list shows name, visibility and kind; create over an existing name is a 409', async () => {
  const list = await suite.run('action', 'list');
  expect(list).toMatch(/^actions\n/);
  expect(list).toMatch(/\/guest\/pipeline\s+private sequence/);
  expect(list).toMatch(/\/guest\/zipped\s+private nodejs:20/);
  const again = await suite.attempt('action', 'create', 'plain', join(suite.dir(), 'plain-source.js'));
  expect(again.code).toBe(409 - 256);
  expect(again.stderr).toContain('resource already exists');
});

test('delete removes the action; get then exits 148 (404)', async () => {
  expect(await suite.run('action', 'delete', 'plain')).toBe('ok: deleted action plain\n');
  const gone = await suite.attempt('action', 'get', 'plain');
  expect(gone.code).toBe(404 - 256);
  expect(gone.stderr).toContain('The requested resource does not exist.');
});
