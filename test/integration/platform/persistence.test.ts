/**
 * Entities and activation records survive a restart of the platform on the same data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFor, LocalPlatform, startLocalPlatform } from '../../helpers/local-platform';

let dataDir: string;
let platform: LocalPlatform | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-restart-'));
});
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('actions, packages, triggers, rules and activations are there after a restart', async () => {
  platform = await startLocalPlatform({ dataDir });
  let ow: any = clientFor(platform);
  await ow.packages.create({ name: 'kept', package: { parameters: [{ key: 'p', value: 1 }] } });
  await ow.actions.create({ name: 'kept/add', action: 'function main({ a, p }) { return { sum: a + p }; }' });
  await ow.actions.update({ name: 'kept/add', action: 'function main({ a, p }) { return { sum: a + p, v: 2 }; }' });
  await ow.triggers.create({ name: 'kept-trigger' });
  await ow.rules.create({ name: 'kept-rule', trigger: 'kept-trigger', action: 'kept/add' });
  await ow.rules.disable({ name: 'kept-rule' });
  await ow.triggers.create({ name: 'new-year', trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/alarm' }] } });
  await ow.feeds.create({ name: '/whisk.system/alarms/alarm', trigger: 'new-year', params: { cron: '0 0 1 1 *' } });
  const activation = await ow.actions.invoke({ name: 'kept/add', blocking: true, params: { a: 2 } });
  // Many records at once go through the batched writer.
  const burst = await Promise.all(Array.from({ length: 40 }, (_unused, i) => ow.actions.invoke({ name: 'kept/add', blocking: true, params: { a: i } })));
  await platform.stop();
  platform = undefined;

  platform = await startLocalPlatform({ dataDir });
  ow = clientFor(platform);
  const action = await ow.actions.get({ name: 'kept/add' });
  expect(action.version).toBe('0.0.2');
  expect((await ow.packages.get({ name: 'kept' })).actions.map((item: { name: string }) => item.name)).toEqual(['add']);
  expect((await ow.rules.get({ name: 'kept-rule' })).status).toBe('inactive');
  expect((await ow.triggers.get({ name: 'kept-trigger' })).name).toBe('kept-trigger');
  const stored = await ow.activations.get({ name: activation.activationId });
  expect(stored.response.result).toEqual({ sum: 3, v: 2 });
  expect(await ow.activations.list({ count: true, name: 'add' })).toEqual({ activations: 1 + burst.length });
  // Still invocable, and versions continue from the stored one.
  expect(await ow.actions.invoke({ name: 'kept/add', blocking: true, result: true, params: { a: 10 } })).toEqual({ sum: 11, v: 2 });
  expect((await ow.actions.update({ name: 'kept/add', action: 'function main() { return {}; }' })).version).toBe('0.0.3');
  // Registered alarms come back with their configuration.
  const alarm = await ow.feeds.get({ name: '/whisk.system/alarms/alarm', trigger: 'new-year' });
  expect(alarm.response.result.config).toMatchObject({ cron: '0 0 1 1 *' });
  // Built-in packages come back too.
  expect((await ow.packages.get({ name: 'alarms', namespace: 'whisk.system' })).publish).toBe(true);
});
