/**
 * Packages, bindings with parameter inheritance, actions inside packages, and the published
 * `/whisk.system/alarms` package, through the official client.
 */
import { annotation, raw } from './support';
import { usePlatform } from '../../helpers/local-platform';

const { platform, ow } = usePlatform();

beforeAll(async () => {
  await ow.packages.create({ name: 'utils', package: { parameters: [{ key: 'level', value: 'package' }, { key: 'region', value: 'eu' }] } });
  await ow.actions.create({ name: 'utils/show', action: 'function main(p) { return p; }', params: { level: 'action' } });
});

test('a package lists its actions; the action lives in namespace guest/utils', async () => {
  const pkg = await ow.packages.get({ name: 'utils' });
  expect(pkg).toMatchObject({ namespace: 'guest', name: 'utils', binding: {}, publish: false });
  expect(pkg.actions.map((action: { name: string }) => action.name)).toEqual(['show']);
  const action = await ow.actions.get({ name: 'utils/show' });
  expect(action.namespace).toBe('guest/utils');
});

test('parameters merge package < action < invoke body', async () => {
  const result = await ow.actions.invoke({ name: 'utils/show', blocking: true, result: true, params: { extra: true } });
  expect(result).toEqual({ level: 'action', region: 'eu', extra: true });
  const overridden = await ow.actions.invoke({ name: 'utils/show', blocking: true, result: true, params: { level: 'body' } });
  expect(overridden.level).toBe('body');
});

test('activation of a package action records the package path', async () => {
  const activation = await ow.actions.invoke({ name: 'utils/show', blocking: true });
  expect(activation.name).toBe('show');
  expect(annotation(activation, 'path')).toBe('guest/utils/show');
});

test('a binding inherits the provider package, its own parameters overriding the provider\'s', async () => {
  await ow.packages.create({ name: 'utils-us', package: { binding: { namespace: 'guest', name: 'utils' }, parameters: [{ key: 'region', value: 'us' }] } });
  const binding = await ow.packages.get({ name: 'utils-us' });
  expect(binding.binding).toEqual({ namespace: 'guest', name: 'utils' });
  expect(binding.actions.map((action: { name: string }) => action.name)).toEqual(['show']);
  const result = await ow.actions.invoke({ name: 'utils-us/show', blocking: true, result: true });
  expect(result).toEqual({ level: 'action', region: 'us' });
});

test('bindings to missing packages or to bindings are rejected with the real texts', async () => {
  const missing = await raw(platform, 'PUT', '/api/v1/namespaces/_/packages/dangling', { binding: { namespace: 'guest', name: 'nothing' } });
  expect(missing.status).toBe(400);
  expect(missing.body.error).toBe('Binding references a package that does not exist.');
  const nested = await raw(platform, 'PUT', '/api/v1/namespaces/_/packages/nested', { binding: { namespace: 'guest', name: 'utils-us' } });
  expect(nested.status).toBe(400);
  expect(nested.body.error).toBe('Cannot bind to another package binding.');
  const intoBinding = await raw(platform, 'PUT', '/api/v1/namespaces/_/actions/utils-us/extra', { exec: { kind: 'nodejs:20', code: 'function main(){return {}}' } });
  expect(intoBinding.status).toBe(400);
  expect(intoBinding.body.error).toBe('Operation not permitted on package binding.');
});

test('a package with actions is not deleted unless forced', async () => {
  await ow.packages.create({ name: 'doomed' });
  await ow.actions.create({ name: 'doomed/inside', action: 'function main(){return {}}' });
  const refused = await raw(platform, 'DELETE', '/api/v1/namespaces/_/packages/doomed');
  expect(refused.status).toBe(409);
  expect(refused.body.error).toContain('Package not empty (contains 1 entity)');
  expect((await ow.actions.get({ name: 'doomed/inside' })).name).toBe('inside');
  const forced = await raw(platform, 'DELETE', '/api/v1/namespaces/_/packages/doomed?force=true');
  expect(forced.status).toBe(200);
  expect((await raw(platform, 'GET', '/api/v1/namespaces/_/actions/doomed/inside')).status).toBe(404);
});

test('/whisk.system/alarms is published with its three feeds, readable by guest but not writable', async () => {
  const pkg = await ow.packages.get({ name: 'alarms', namespace: 'whisk.system' });
  expect(pkg.publish).toBe(true);
  expect(pkg.feeds.map((feed: { name: string }) => feed.name).sort()).toEqual(['alarm', 'interval', 'once']);
  const listed = await ow.packages.list({ namespace: 'whisk.system' });
  expect(listed.map((item: { name: string }) => item.name)).toContain('alarms');
  const write = await raw(platform, 'PUT', '/api/v1/namespaces/whisk.system/actions/alarms/mine', { exec: { kind: 'nodejs:20', code: 'x' } });
  expect(write.status).toBe(403);
  expect(write.body.error).toBe('The supplied authentication is not authorized to access this resource.');
  // A binding to the public package works like in real OpenWhisk (`wsk package bind /whisk.system/alarms myalarms`).
  const bound = await raw(platform, 'PUT', '/api/v1/namespaces/_/packages/myalarms', { binding: { namespace: 'whisk.system', name: 'alarms' } });
  expect(bound.status).toBe(200);
});
