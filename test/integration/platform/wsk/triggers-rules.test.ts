/**
 * `wsk trigger` and `wsk rule`: triggers with parameters, fires that run rules' actions (checked
 * through the activations), rules enabled/disabled/updated/deleted, and alarms feeds.
 */
import { until } from '../../../helpers/until';
import { byKey, useWsk } from './support';

const suite = useWsk();

beforeAll(async () => {
  await suite.run('action', 'create', 'record', suite.file('record.js', 'function main(p) { return { seen: p }; }'));
  await suite.run('action', 'create', 'other', suite.file('other.js', 'function main(p) { return { other: p }; }'));
});

/** The activation ids a trigger activation's log lines name (one JSON line per rule). */
async function ruleLines(triggerActivationId: string): Promise<any[]> {
  const record = await until('the trigger activation is recorded', async () => {
    const result = await suite.attempt('activation', 'get', triggerActivationId);
    return result.code === 0 ? JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) : undefined;
  });
  return (record.logs as string[]).map((line) => JSON.parse(line));
}

async function resultOf(activationId: string): Promise<any> {
  return until(`activation ${activationId} has a result`, async () => {
    const result = await suite.attempt('activation', 'result', activationId);
    return result.code === 0 ? JSON.parse(result.stdout) : undefined;
  });
}

function firedId(stdout: string): string {
  const match = /^ok: triggered \/_\/\S+ with id ([0-9a-f]{32})\n$/.exec(stdout);
  if (!match) throw new Error(`unexpected fire output: ${stdout}`);
  return match[1]!;
}

test('trigger create with parameters; get, list', async () => {
  expect(await suite.run('trigger', 'create', 'orders', '-p', 'source', 'trigger', '-p', 'kind', 'default')).toBe('ok: created trigger orders\n');
  const trigger = await suite.json('trigger', 'get', 'orders');
  expect(trigger).toMatchObject({ namespace: 'guest', name: 'orders', version: '0.0.1', publish: false, limits: {} });
  expect(byKey(trigger.parameters)).toEqual([{ key: 'kind', value: 'default' }, { key: 'source', value: 'trigger' }]);
  expect(await suite.run('trigger', 'list')).toMatch(/^triggers\n\/guest\/orders\s+private\n/);
});

test('rule create links trigger and action; fire → rule → action with trigger parameters under the event', async () => {
  expect(await suite.run('rule', 'create', 'orders-rule', 'orders', 'record')).toBe('ok: created rule orders-rule\n');
  const rule = await suite.json('rule', 'get', 'orders-rule');
  expect(rule).toMatchObject({ name: 'orders-rule', status: 'active', trigger: { path: 'guest', name: 'orders' }, action: { path: 'guest', name: 'record' } });
  expect((await suite.json('trigger', 'get', 'orders')).rules).toEqual({ 'guest/orders-rule': { action: { path: 'guest', name: 'record' }, status: 'active' } });
  expect(await suite.run('rule', 'list')).toMatch(/\/guest\/orders-rule\s+private\s+active/);

  const id = firedId(await suite.run('trigger', 'fire', 'orders', '-p', 'kind', 'event', '-p', 'n', '7'));
  const [line] = await ruleLines(id);
  expect(line).toMatchObject({ statusCode: 0, success: true, action: 'guest/record', rule: 'guest/orders-rule' });
  expect(await resultOf(line.activationId)).toEqual({ seen: { source: 'trigger', kind: 'event', n: 7 } });
  // The trigger's activation records the event as fired.
  expect(await resultOf(id)).toEqual({ kind: 'event', n: 7 });
});

test('disable and enable; a fire with no active rule records nothing', async () => {
  expect(await suite.run('rule', 'disable', 'orders-rule')).toBe('ok: disabled rule orders-rule\n');
  expect((await suite.json('rule', 'get', 'orders-rule')).status).toBe('inactive');
  // 204: wsk reports no activation id.
  expect(await suite.run('trigger', 'fire', 'orders')).toBe('ok: triggered /_/orders with id \n');
  expect(await suite.run('rule', 'enable', 'orders-rule')).toBe('ok: enabled rule orders-rule\n');
  expect(await suite.run('rule', 'get', 'orders-rule', '--summary')).toContain('(status: active)');
});

test('rule update points the rule at another action, keeping its status', async () => {
  expect(await suite.run('rule', 'update', 'orders-rule', 'orders', 'other')).toBe('ok: updated rule orders-rule\n');
  const rule = await suite.json('rule', 'get', 'orders-rule');
  expect(rule).toMatchObject({ version: '0.0.2', status: 'active', action: { name: 'other' } });
  const [line] = await ruleLines(firedId(await suite.run('trigger', 'fire', 'orders', '-p', 'x', '1')));
  expect(line.action).toBe('guest/other');
  expect(await resultOf(line.activationId)).toEqual({ other: { source: 'trigger', kind: 'default', x: 1 } });
});

test('rules may run /whisk.system/utils actions', async () => {
  await suite.run('trigger', 'create', 'texts');
  await suite.run('rule', 'create', 'texts-split', 'texts', '/whisk.system/utils/split');
  const [line] = await ruleLines(firedId(await suite.run('trigger', 'fire', 'texts', '-p', 'payload', 'b,a', '-p', 'separator', ',')));
  expect(line.action).toBe('whisk.system/utils/split');
  expect(await resultOf(line.activationId)).toEqual({ lines: ['b', 'a'], payload: 'b,a' });
});

test('trigger update replaces the parameters', async () => {
  await suite.run('trigger', 'update', 'orders', '-p', 'source', 'updated');
  const trigger = await suite.json('trigger', 'get', 'orders');
  expect(trigger.parameters).toEqual([{ key: 'source', value: 'updated' }]);
  expect(trigger.version).toBe('0.0.2');
});

test('a rule to a missing action or trigger is refused (400 with the controller\'s text)', async () => {
  const noAction = await suite.attempt('rule', 'create', 'broken', 'orders', 'nothing');
  expect(noAction.code).toBe(400 - 256);
  expect(noAction.stderr).toContain('action /guest/nothing does not exist');
  const noTrigger = await suite.attempt('rule', 'create', 'broken', 'nothing', 'record');
  expect(noTrigger.code).toBe(400 - 256);
  expect(noTrigger.stderr).toContain('trigger /guest/nothing does not exist');
});

test('deleting a trigger leaves its rules inactive, also once it exists again (the status lives in the trigger)', async () => {
  await suite.run('trigger', 'create', 'short-lived');
  await suite.run('rule', 'create', 'short-rule', 'short-lived', 'record');
  expect(await suite.run('trigger', 'delete', 'short-lived')).toBe('ok: deleted trigger short-lived\n');
  expect((await suite.json('rule', 'get', 'short-rule')).status).toBe('inactive');
  const enable = await suite.attempt('rule', 'enable', 'short-rule');
  expect(enable.code).toBe(404 - 256);
  expect(enable.stderr).toContain('Only rules with existing triggers can be activated');
  await suite.run('trigger', 'create', 'short-lived');
  expect((await suite.json('rule', 'get', 'short-rule')).status).toBe('inactive');
  expect(await suite.run('trigger', 'fire', 'short-lived')).toBe('ok: triggered /_/short-lived with id \n');
  await suite.run('rule', 'enable', 'short-rule');
  expect((await ruleLines(firedId(await suite.run('trigger', 'fire', 'short-lived'))))[0].rule).toBe('guest/short-rule');
});

test('rule delete (also of an active rule) and trigger delete', async () => {
  expect(await suite.run('rule', 'delete', 'short-rule')).toBe('ok: deleted rule short-rule\n');
  expect((await suite.attempt('rule', 'get', 'short-rule')).code).toBe(404 - 256);
  expect(await suite.run('rule', 'delete', 'texts-split', '--disable')).toBe('ok: deleted rule texts-split\n');
  expect(await suite.run('trigger', 'delete', 'texts')).toBe('ok: deleted trigger texts\n');
  expect((await suite.attempt('trigger', 'get', 'texts')).code).toBe(404 - 256);
});

test('--feed with a user\'s own feed action: wsk invokes it with lifecycleEvent, triggerName and authKey', async () => {
  await suite.run('action', 'create', 'my-feed', suite.file('feed.js', 'function main(p) { return { event: p.lifecycleEvent, trigger: p.triggerName, keyed: typeof p.authKey === "string", x: p.x }; }'), '-a', 'feed', 'true');
  const created = await suite.run('trigger', 'create', 'fed', '--feed', 'my-feed', '-p', 'x', '1');
  const activation = JSON.parse(created.slice(created.indexOf('{'), created.lastIndexOf('}') + 1));
  expect(activation.response.result).toEqual({ event: 'CREATE', trigger: '/_/fed', keyed: true, x: 1 });
  expect(created).toMatch(/ok: created trigger fed\n$/);
  const deleted = await suite.run('trigger', 'delete', 'fed');
  expect(deleted).toContain('"event": "DELETE"');
  expect(deleted).toMatch(/ok: deleted trigger fed\n$/);
});

describe('alarms feeds', () => {
  test('--feed /whisk.system/alarms/alarm with cron fires a rule\'s action with the trigger payload; delete stops it', async () => {
    const created = await suite.run('trigger', 'create', 'ticks', '--feed', '/whisk.system/alarms/alarm', '-p', 'cron', '* * * * * *', '-p', 'trigger_payload', '{"tick":true}');
    expect(created).toMatch(/^ok: invoked \/whisk\.system\/alarms\/alarm with id [0-9a-f]{32}\n/);
    expect(created).toMatch(/\nok: created trigger ticks\n$/);
    await suite.run('rule', 'create', 'ticks-rule', 'ticks', 'record');
    const seen = await until('a tick ran the rule\'s action', async () => {
      const list = await suite.run('activation', 'list', 'record', '--limit', '5');
      for (const id of list.match(/[0-9a-f]{32}/g) ?? []) {
        const result = await resultOf(id);
        if (result.seen?.tick === true) return result;
      }
      return undefined;
    });
    expect(seen.seen).toEqual({ tick: true });
    // `trigger get` of a feed trigger also asks the feed (READ) and prints its answer.
    const described = await suite.run('trigger', 'get', 'ticks');
    expect(described).toContain('"cron": "* * * * * *"');
    expect(await suite.run('trigger', 'delete', 'ticks')).toMatch(/ok: deleted trigger ticks\n$/);
  });

  test('--feed /whisk.system/alarms/once fires once at the date', async () => {
    await suite.run('trigger', 'create', 'one-shot', '--feed', '/whisk.system/alarms/once', '-p', 'date', new Date(Date.now() + 5000).toISOString());
    await suite.run('rule', 'create', 'one-shot-rule', 'one-shot', 'other');
    const fired = await until('the once alarm fired the trigger', async () => {
      const list = await suite.run('activation', 'list', 'one-shot', '--limit', '5');
      return /[0-9a-f]{32}/.exec(list)?.[0];
    });
    const [line] = await ruleLines(fired);
    expect(line.action).toBe('guest/other');
    await suite.run('trigger', 'delete', 'one-shot');
  });

  test('a bad cron fails the feed: wsk deletes the trigger again and exits with the feed\'s error', async () => {
    const result = await suite.attempt('trigger', 'create', 'bad-cron', '--feed', '/whisk.system/alarms/alarm', '-p', 'cron', 'nonsense');
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain("cron pattern 'nonsense' is not valid");
    expect((await suite.attempt('trigger', 'get', 'bad-cron')).code).toBe(404 - 256);
  });
});
