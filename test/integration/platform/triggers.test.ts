/**
 * Triggers, rules and fires, and feeds managed by clients invoking the feed action themselves
 * (`ow.feeds`), with the built-in `/whisk.system/alarms` feed firing a trigger as its owner.
 */
import { activationOf, raw } from './support';
import { usePlatform } from '../../helpers/local-platform';
import { until } from '../../helpers/until';

const { platform, ow } = usePlatform();

beforeAll(async () => {
  await ow.actions.create({ name: 'record', action: 'function main(p) { return { seen: p }; }' });
});

test('firing a trigger without active rules answers 204 and records nothing', async () => {
  await ow.triggers.create({ name: 'lonely' });
  const before = await raw(platform, 'GET', '/api/v1/namespaces/_/activations?count=true');
  const fired = await raw(platform, 'POST', '/api/v1/namespaces/_/triggers/lonely', { a: 1 });
  expect(fired.status).toBe(204);
  expect(fired.text).toBe('');
  const after = await raw(platform, 'GET', '/api/v1/namespaces/_/activations?count=true');
  expect(after.body.activations).toBe(before.body.activations);
});

test('a fire runs every active rule with trigger parameters under the event; the trigger activation logs one line per rule', async () => {
  await ow.triggers.create({ name: 'orders', trigger: { parameters: [{ key: 'source', value: 'trigger' }, { key: 'kind', value: 'default' }] } });
  await ow.actions.create({ name: 'record2', action: 'function main(p) { return { second: p }; }' });
  await ow.rules.create({ name: 'orders-to-record', trigger: 'orders', action: 'record' });
  await ow.rules.create({ name: 'orders-to-record2', trigger: '/_/orders', action: '/guest/record2' });

  const rule = await ow.rules.get({ name: 'orders-to-record' });
  expect(rule).toMatchObject({ name: 'orders-to-record', status: 'active', trigger: { path: 'guest', name: 'orders' }, action: { path: 'guest', name: 'record' } });
  const trigger = await ow.triggers.get({ name: 'orders' });
  expect(trigger.rules['guest/orders-to-record']).toEqual({ action: { path: 'guest', name: 'record' }, status: 'active' });

  const { activationId } = await ow.triggers.invoke({ name: 'orders', params: { kind: 'event', id: 7 } });
  const triggerActivation = await activationOf(ow, activationId);
  expect(triggerActivation.name).toBe('orders');
  // The event as posted; the trigger's parameters go to the rules' actions only (as in the controller).
  expect(triggerActivation.response.result).toEqual({ kind: 'event', id: 7 });
  const lines = triggerActivation.logs.map((line: string) => JSON.parse(line));
  expect(lines).toHaveLength(2);
  for (const line of lines) expect(line).toMatchObject({ statusCode: 0, success: true, activationId: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(lines.map((line: { rule: string }) => line.rule).sort()).toEqual(['guest/orders-to-record', 'guest/orders-to-record2']);
  const first = lines.find((line: { rule: string }) => line.rule === 'guest/orders-to-record');
  expect(first.action).toBe('guest/record');
  const ruleActivation = await activationOf(ow, first.activationId);
  expect(ruleActivation.response.result).toEqual({ seen: { source: 'trigger', kind: 'event', id: 7 } });
});

test('disabled rules do not run; the trigger activation says so; enabling brings them back', async () => {
  await ow.triggers.create({ name: 'toggled' });
  await ow.rules.create({ name: 'toggled-a', trigger: 'toggled', action: 'record' });
  await ow.rules.create({ name: 'toggled-b', trigger: 'toggled', action: 'record' });
  await ow.rules.disable({ name: 'toggled-b' });
  expect((await ow.rules.get({ name: 'toggled-b' })).status).toBe('inactive');
  const { activationId } = await ow.triggers.invoke({ name: 'toggled' });
  const lines = (await activationOf(ow, activationId)).logs.map((line: string) => JSON.parse(line));
  const inactive = lines.find((line: { rule: string }) => line.rule === 'guest/toggled-b');
  expect(inactive).toMatchObject({ success: false, error: "Rule 'guest/toggled-b' is inactive, action 'guest/record' was not activated." });
  await ow.rules.disable({ name: 'toggled-a' });
  expect((await raw(platform, 'POST', '/api/v1/namespaces/_/triggers/toggled', {})).status).toBe(204);
  await ow.rules.enable({ name: 'toggled-a' });
  expect((await raw(platform, 'POST', '/api/v1/namespaces/_/triggers/toggled', {})).status).toBe(202);
});

test('rules need an existing trigger and action (400 with the controller texts)', async () => {
  const noTrigger = await raw(platform, 'PUT', '/api/v1/namespaces/_/rules/broken', { trigger: '/_/nope', action: '/_/record' });
  expect(noTrigger.status).toBe(400);
  expect(noTrigger.body.error).toBe('trigger /guest/nope does not exist');
  await ow.triggers.create({ name: 'has-trigger' });
  const noAction = await raw(platform, 'PUT', '/api/v1/namespaces/_/rules/broken', { trigger: '/_/has-trigger', action: '/_/nope' });
  expect(noAction.status).toBe(400);
  expect(noAction.body.error).toBe('action /guest/nope does not exist');
  expect((await raw(platform, 'GET', '/api/v1/namespaces/_/rules/broken')).status).toBe(404);
});

test('ow.feeds passes lifecycleEvent, triggerName and authKey to the alarms feed; a once alarm fires the trigger as its owner', async () => {
  await ow.triggers.create({ name: 'wake-up', trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/once' }] } });
  await ow.rules.create({ name: 'wake-up-rule', trigger: 'wake-up', action: 'record' });
  const date = new Date(Date.now() + 1500).toISOString();
  const created = await ow.feeds.create({ name: '/whisk.system/alarms/once', trigger: 'wake-up', params: { date, trigger_payload: { hello: 'alarm' } } });
  expect(created.response.success).toBe(true);
  expect(created.name).toBe('once');

  const read = await ow.feeds.get({ name: '/whisk.system/alarms/once', trigger: 'wake-up' });
  expect(read.response.result.config).toMatchObject({ date });

  // The alarm fires the trigger, whose rule runs `record` with the trigger payload.
  const fired = await until('the alarm\'s rule has run `record`', async () => {
    const records = await ow.activations.list({ name: 'record', docs: true, limit: 50 });
    return records.find((record: any) => record.response.result.seen?.hello === 'alarm');
  }, { retryErrors: true });
  expect(fired.response.result.seen).toEqual({ hello: 'alarm' });
  const triggerRecords = await ow.activations.list({ name: 'wake-up', docs: true });
  expect(triggerRecords.length).toBeGreaterThanOrEqual(1);
  expect(triggerRecords[0].subject).toBe('guest');

  const deleted = await ow.feeds.delete({ name: '/whisk.system/alarms/once', trigger: 'wake-up' });
  expect(deleted.response.success).toBe(true);
});

test('bad feed parameters come back as an application error of the feed activation', async () => {
  await ow.triggers.create({ name: 'bad-alarm' });
  const response = await raw(platform, 'POST', '/api/v1/namespaces/whisk.system/actions/alarms/alarm?blocking=true', {
    lifecycleEvent: 'CREATE', triggerName: '/_/bad-alarm', authKey: platform.auth, cron: 'not a cron',
  });
  expect(response.status).toBe(502);
  expect(response.body.response.status).toBe('application error');
  expect(typeof response.body.response.result.error).toBe('string');
  expect(response.body.namespace).toBe('guest');
});
