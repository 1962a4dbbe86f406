/**
 * `wsk package`: create/update/bind/`--shared`, get/list/delete, actions in packages, parameter
 * inheritance (package < action < invoke; binding over provider), and the published `/whisk.system` packages.
 */
import { annotationOf, byKey, useWsk } from './support';

const suite = useWsk();

test('create with parameters and annotations; get and list', async () => {
  expect(await suite.run('package', 'create', 'tools', '-p', 'level', 'package', '-p', 'region', 'eu', '-a', 'description', 'Our tools')).toBe('ok: created package tools\n');
  const pkg = await suite.json('package', 'get', 'tools');
  expect(pkg).toMatchObject({ namespace: 'guest', name: 'tools', version: '0.0.1', publish: false, binding: {} });
  expect(byKey(pkg.parameters)).toEqual([{ key: 'level', value: 'package' }, { key: 'region', value: 'eu' }]);
  expect(annotationOf(pkg, 'description')).toBe('Our tools');
  expect(await suite.run('package', 'list')).toMatch(/^packages\n\/guest\/tools\s+private\n/);
});

test('actions in a package inherit its parameters; the action\'s and the invoke\'s override them', async () => {
  await suite.run('action', 'create', 'tools/show', suite.file('show.js', 'function main(p) { return p; }'), '-p', 'level', 'action');
  expect(await suite.json('action', 'invoke', 'tools/show', '-r', '-p', 'extra', 'yes')).toEqual({ level: 'action', region: 'eu', extra: 'yes' });
  expect((await suite.json('action', 'invoke', 'tools/show', '-r', '-p', 'level', 'invoke')).level).toBe('invoke');
  const pkg = await suite.json('package', 'get', 'tools');
  expect(pkg.actions.map((action: { name: string }) => action.name)).toEqual(['show']);
  expect((await suite.json('action', 'get', 'tools/show')).namespace).toBe('guest/tools');
  expect(await suite.run('action', 'list', 'tools')).toMatch(/^actions\n\/guest\/tools\/show\s+private nodejs:\S+\n$/);
  expect(await suite.run('package', 'get', 'tools', '--summary')).toContain('action /guest/tools/show');
});

test('update --shared yes publishes the package; update keeps what is not given', async () => {
  await suite.run('package', 'update', 'tools', '--shared', 'yes');
  const pkg = await suite.json('package', 'get', 'tools');
  expect(pkg.publish).toBe(true);
  expect(pkg.version).toBe('0.0.2');
  expect(pkg.parameters).toHaveLength(2);
  expect(await suite.run('package', 'list')).toMatch(/\/guest\/tools\s+shared/);
  await suite.run('package', 'update', 'tools', '--shared', 'no');
  expect((await suite.json('package', 'get', 'tools')).publish).toBe(false);
});

test('bind: the binding\'s parameters override the provider\'s; its actions are the provider\'s', async () => {
  expect(await suite.run('package', 'bind', 'tools', 'tools-us', '-p', 'region', 'us')).toBe('ok: created binding tools-us\n');
  const binding = await suite.json('package', 'get', 'tools-us');
  expect(binding.binding).toEqual({ namespace: 'guest', name: 'tools' });
  expect(binding.actions.map((action: { name: string }) => action.name)).toEqual(['show']);
  expect(await suite.json('action', 'invoke', 'tools-us/show', '-r')).toEqual({ level: 'action', region: 'us' });
  // A get through the binding shows the action where it lives, with the inherited parameters under its own.
  const action = await suite.json('action', 'get', 'tools-us/show');
  expect(action.namespace).toBe('guest/tools');
  expect(byKey(action.parameters)).toEqual([{ key: 'level', value: 'action' }, { key: 'region', value: 'us' }]);
  // Actions cannot be put into a binding.
  const into = await suite.attempt('action', 'create', 'tools-us/extra', suite.file('extra.js', 'function main() { return {}; }'));
  expect(into.code).toBe(400 - 256);
  expect(into.stderr).toContain('Operation not permitted on package binding.');
});

test('bind to /whisk.system/utils; its actions run with the binding\'s parameters', async () => {
  await suite.run('package', 'bind', '/whisk.system/utils', 'myutils', '-p', 'separator', ',');
  expect(await suite.json('action', 'invoke', 'myutils/split', '-r', '-p', 'payload', 'x,y')).toEqual({ lines: ['x', 'y'], payload: 'x,y' });
  const summary = await suite.run('package', 'get', 'myutils', '--summary');
  expect(summary).toContain('action /guest/myutils/sort: Sorts an array');
});

test('the /whisk.system packages are listed as shared and readable by every namespace', async () => {
  const list = await suite.run('package', 'list', '/whisk.system');
  expect(list).toMatch(/\/whisk\.system\/utils\s+shared/);
  expect(list).toMatch(/\/whisk\.system\/alarms\s+shared/);
  const utils = await suite.json('package', 'get', '/whisk.system/utils');
  expect(utils.actions.map((action: { name: string }) => action.name).sort()).toEqual(['cat', 'date', 'echo', 'head', 'hosturl', 'namespace', 'smash', 'sort', 'split']);
  // Only whisk.system may change them.
  const change = await suite.attempt('package', 'update', '/whisk.system/utils', '-p', 'x', '1');
  expect(change.code).toBe(403 - 256);
});

test('delete: a package with actions is refused (409) until they are gone; a binding is deleted at once', async () => {
  const refused = await suite.attempt('package', 'delete', 'tools');
  expect(refused.code).toBe(409 - 256);
  expect(refused.stderr).toContain('Package not empty (contains 1 entity). Set force param or delete package contents.');
  expect(await suite.run('package', 'delete', 'tools-us')).toBe('ok: deleted package tools-us\n');
  await suite.run('action', 'delete', 'tools/show');
  expect(await suite.run('package', 'delete', 'tools')).toBe('ok: deleted package tools\n');
  expect((await suite.attempt('package', 'get', 'tools')).code).toBe(404 - 256);
});
