/**
 * The `openwhisk` npm client's whole API against the local platform, for what the other suites do not
 * cover: zip actions from a Buffer, sequences over another namespace's actions (`/whisk.system/utils`),
 * packages and bindings, triggers, rules, feeds with the alarms package, activations by name, and
 * namespaces. Every entity is created through the client.
 */
import AdmZip from 'adm-zip';
import { until } from '../../helpers/until';
import { activationOf, annotation } from './support';
import { usePlatform } from '../../helpers/local-platform';
import { DEFAULT_NODEJS_KIND } from '../../../lib/platform/entities';

const { ow } = usePlatform();

function zipOf(files: Record<string, string>): Buffer {
  const zip = new AdmZip();
  for (const [name, content] of Object.entries(files)) zip.addFile(name, Buffer.from(content));
  return zip.toBuffer();
}

describe('actions', () => {
  test('create from a Buffer: the client sends a base64 zip, the platform stores and runs it as binary', async () => {
    const zip = zipOf({ 'package.json': JSON.stringify({ main: 'src/index.js' }), 'src/index.js': 'exports.main = (p) => ({ fromZip: p.n * 2 });' });
    const created = await ow.actions.create({ name: 'zipped', action: zip });
    // The client asks for nodejs:default; it is stored as the concrete kind it stands for.
    expect(created.exec).toMatchObject({ kind: DEFAULT_NODEJS_KIND, binary: true });
    expect(await ow.actions.invoke({ name: 'zipped', blocking: true, result: true, params: { n: 21 } })).toEqual({ fromZip: 42 });
    const fetched = await ow.actions.get({ name: 'zipped' });
    expect(Buffer.from(fetched.exec.code, 'base64')).toEqual(zip);
  });

  test('create with kind, params, limits and version; update replaces the code and bumps the version', async () => {
    const created = await ow.actions.create({
      name: 'tuned', action: 'function main(p) { return { v: 1, p }; }', kind: 'nodejs:20',
      params: { a: 1 }, limits: { timeout: 3000, memory: 128 }, version: '2.0.0',
    });
    expect(created).toMatchObject({ version: '2.0.0', exec: { kind: 'nodejs:20', binary: false }, limits: { timeout: 3000, memory: 128 }, parameters: [{ key: 'a', value: 1 }] });
    const updated = await ow.actions.update({ name: 'tuned', action: 'function main(p) { return { v: 2, p }; }' });
    expect(updated).toMatchObject({ version: '2.0.1', limits: { timeout: 3000, memory: 128 } });
    // Parameters not sent are kept.
    expect(await ow.actions.invoke({ name: 'tuned', blocking: true, result: true })).toEqual({ v: 2, p: { a: 1 } });
  });

  test('an action object (exec with main) is sent as given', async () => {
    await ow.actions.create({ name: 'custom-main', action: { exec: { kind: 'nodejs:20', code: 'function start(p) { return { started: p.x }; }', main: 'start' }, annotations: [{ key: 'description', value: 'mine' }] } });
    const action = await ow.actions.get({ name: 'custom-main' });
    expect(action.exec.main).toBe('start');
    expect(annotation(action, 'description')).toBe('mine');
    expect(await ow.actions.invoke({ name: 'custom-main', blocking: true, result: true, params: { x: 'y' } })).toEqual({ started: 'y' });
  });

  test('a sequence of /whisk.system/utils actions and an own action', async () => {
    await ow.actions.create({ name: 'count', action: 'function main(p) { return { count: p.length, first: p.lines[0] }; }' });
    const created = await ow.actions.create({ name: 'lines', sequence: ['/whisk.system/utils/split', '/whisk.system/utils/sort', 'count'] });
    expect(created.exec).toEqual({ kind: 'sequence', components: ['/whisk.system/utils/split', '/whisk.system/utils/sort', '/guest/count'] });
    const activation = await ow.actions.invoke({ name: 'lines', blocking: true, params: { payload: 'pear\napple\nfig' } });
    expect(activation.response.result).toEqual({ count: 3, first: 'apple' });
    expect(activation.logs).toHaveLength(3);
    const split = await activationOf(ow, activation.logs[0]);
    expect(annotation(split, 'path')).toBe('whisk.system/utils/split');
    expect(annotation(split, 'causedBy')).toBe('sequence');
  });

  test('list with limit and skip; several actions invoked at once; delete', async () => {
    await ow.packages.create({ name: 'box' });
    await ow.actions.create({ name: 'box/inside', action: 'function main() { return { inside: true }; }' });
    const all = (await ow.actions.list()).map((action: { name: string }) => action.name);
    expect(all).toEqual(expect.arrayContaining(['zipped', 'tuned', 'custom-main', 'count', 'lines', 'inside']));
    expect((await ow.actions.list({ limit: 2, skip: 1 })).map((action: { name: string }) => action.name)).toEqual(all.slice(1, 3));
    // The client sends an array of invocations as non-blocking ones, one request each.
    const started = await ow.actions.invoke([{ name: 'box/inside' }, { name: 'tuned' }]);
    const records = await Promise.all(started.map(({ activationId }: { activationId: string }) => activationOf(ow, activationId)));
    expect(records.map((record) => record.response.result)).toEqual([{ inside: true }, { v: 2, p: { a: 1 } }]);
    await ow.actions.delete({ name: 'box/inside' });
    await expect(ow.actions.get({ name: 'box/inside' })).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('packages and bindings', () => {
  test('create, update (publish), get with actions, list; bind with inherited parameters; delete', async () => {
    await ow.packages.create({ name: 'shop', package: { parameters: [{ key: 'currency', value: 'EUR' }, { key: 'tax', value: 20 }] } });
    await ow.actions.create({ name: 'shop/price', action: 'function main(p) { return { total: p.amount * (100 + p.tax) / 100, currency: p.currency }; }' });
    const updated = await ow.packages.update({ name: 'shop', package: { publish: true } });
    expect(updated).toMatchObject({ publish: true, version: '0.0.2', parameters: [{ key: 'currency', value: 'EUR' }, { key: 'tax', value: 20 }] });
    const pkg = await ow.packages.get({ name: 'shop' });
    expect(pkg.actions.map((action: { name: string }) => action.name)).toEqual(['price']);
    expect((await ow.packages.list()).map((item: { name: string }) => item.name)).toEqual(expect.arrayContaining(['shop', 'box']));

    await ow.packages.create({ name: 'shop-us', package: { binding: { namespace: 'guest', name: 'shop' }, parameters: [{ key: 'currency', value: 'USD' }] } });
    const binding = await ow.packages.get({ name: 'shop-us' });
    expect(binding.binding).toEqual({ namespace: 'guest', name: 'shop' });
    expect(await ow.actions.invoke({ name: 'shop-us/price', blocking: true, result: true, params: { amount: 100 } })).toEqual({ total: 120, currency: 'USD' });

    await ow.packages.delete({ name: 'shop-us' });
    await ow.actions.delete({ name: 'shop/price' });
    await ow.packages.delete({ name: 'shop' });
    await expect(ow.packages.get({ name: 'shop' })).rejects.toMatchObject({ statusCode: 404 });
  });

  test('a binding of /whisk.system/utils runs the catalog actions with the binding\'s parameters', async () => {
    await ow.packages.create({ name: 'csv', package: { binding: { namespace: 'whisk.system', name: 'utils' }, parameters: [{ key: 'separator', value: ';' }] } });
    expect(await ow.actions.invoke({ name: 'csv/split', blocking: true, result: true, params: { payload: 'a;b' } })).toEqual({ lines: ['a', 'b'], payload: 'a;b' });
    const pkg = await ow.packages.get({ name: '/whisk.system/utils' });
    expect(pkg.publish).toBe(true);
    await expect(ow.actions.create({ name: '/whisk.system/utils/mine', action: 'function main() { return {}; }' })).rejects.toMatchObject({ statusCode: 403 });
  });
});

describe('triggers, rules and feeds', () => {
  test('triggers: create with parameters, get, update, list, fire, delete', async () => {
    const created = await ow.triggers.create({ name: 'signals', trigger: { parameters: [{ key: 'from', value: 'trigger' }] } });
    expect(created).toMatchObject({ name: 'signals', version: '0.0.1', parameters: [{ key: 'from', value: 'trigger' }] });
    const updated = await ow.triggers.update({ name: 'signals', trigger: { annotations: [{ key: 'note', value: 'x' }] } });
    expect(updated).toMatchObject({ version: '0.0.2', parameters: [{ key: 'from', value: 'trigger' }], annotations: [{ key: 'note', value: 'x' }] });
    expect((await ow.triggers.list()).map((trigger: { name: string }) => trigger.name)).toContain('signals');
    // No rule yet: 204 (as the controller answers), which the client resolves without an activation id.
    expect((await ow.triggers.invoke({ name: 'signals', params: { a: 1 } })).activationId).toBeUndefined();
  });

  test('rules: create, get, list, disable, enable, update, fire → rule → action, delete', async () => {
    await ow.actions.create({ name: 'on-signal', action: 'function main(p) { return { got: p }; }' });
    const created = await ow.rules.create({ name: 'signal-rule', trigger: 'signals', action: 'on-signal' });
    expect(created).toMatchObject({ status: 'active', trigger: { path: 'guest', name: 'signals' }, action: { path: 'guest', name: 'on-signal' } });
    const listed = (await ow.rules.list()).find((rule: { name: string }) => rule.name === 'signal-rule');
    // As the controller lists the rule documents: the status is in the trigger, only a get has it.
    expect(listed).toMatchObject({ namespace: 'guest', trigger: { path: 'guest', name: 'signals' }, action: { path: 'guest', name: 'on-signal' } });
    expect(listed.status).toBeUndefined();
    await ow.rules.disable({ name: 'signal-rule' });
    expect((await ow.rules.get({ name: 'signal-rule' })).status).toBe('inactive');
    await ow.rules.enable({ name: 'signal-rule' });
    const { activationId } = await ow.triggers.invoke({ name: 'signals', params: { a: 1 } });
    const fire = await activationOf(ow, activationId);
    // As the controller records trigger activations: no end, no duration (also not in the list view).
    expect(fire).not.toHaveProperty('end');
    expect(fire).not.toHaveProperty('duration');
    const [summary] = await ow.activations.list({ name: 'signals', limit: 1 });
    expect(summary.activationId).toBe(activationId);
    expect(Object.keys(summary).sort()).toEqual(['activationId', 'annotations', 'name', 'namespace', 'publish', 'start', 'version']);
    const line = JSON.parse(fire.logs[0]);
    expect(line).toMatchObject({ success: true, rule: 'guest/signal-rule', action: 'guest/on-signal' });
    expect((await activationOf(ow, line.activationId)).response.result).toEqual({ got: { from: 'trigger', a: 1 } });

    const retargeted = await ow.rules.update({ name: 'signal-rule', trigger: 'signals', action: '/whisk.system/utils/echo' });
    expect(retargeted).toMatchObject({ version: '0.0.2', status: 'active', action: { path: 'whisk.system/utils', name: 'echo' } });
    const deleted = await ow.rules.delete({ name: 'signal-rule' });
    expect(deleted).toMatchObject({ name: 'signal-rule', status: 'inactive' });
    await ow.triggers.delete({ name: 'signals' });
    await expect(ow.triggers.get({ name: 'signals' })).rejects.toMatchObject({ statusCode: 404 });
  });

  test('a deleted trigger answers with its rules; they stay inactive', async () => {
    await ow.triggers.create({ name: 'brief' });
    await ow.rules.create({ name: 'brief-rule', trigger: 'brief', action: 'on-signal' });
    const deleted = await ow.triggers.delete({ name: 'brief' });
    expect(deleted.rules).toEqual({ 'guest/brief-rule': { action: { path: 'guest', name: 'on-signal' }, status: 'active' } });
    expect((await ow.rules.get({ name: 'brief-rule' })).status).toBe('inactive');
    await expect(ow.rules.enable({ name: 'brief-rule' })).rejects.toMatchObject({ statusCode: 404 });
    await ow.rules.delete({ name: 'brief-rule' });
  });

  test('feeds.create and feeds.delete with the alarms feed: ticks fire the rule\'s action; delete stops them', async () => {
    await ow.triggers.create({ name: 'ticker', trigger: { annotations: [{ key: 'feed', value: '/whisk.system/alarms/alarm' }] } });
    const created = await ow.feeds.create({ name: '/whisk.system/alarms/alarm', trigger: 'ticker', params: { cron: '* * * * * *', trigger_payload: { tick: 1 } } });
    expect(created.response).toMatchObject({ success: true });
    await ow.rules.create({ name: 'ticker-rule', trigger: 'ticker', action: 'on-signal' });
    const tick = await until('a tick ran on-signal', async () => {
      const list = await ow.activations.list({ name: 'on-signal', limit: 5, docs: true });
      return list.find((record: any) => record.response?.result?.got?.tick === 1);
    });
    expect(tick.response.result.got).toEqual({ tick: 1 });
    const read = await ow.feeds.get({ name: '/whisk.system/alarms/alarm', trigger: 'ticker' });
    expect(read.response.result.config).toMatchObject({ cron: '* * * * * *' });
    const removed = await ow.feeds.delete({ name: '/whisk.system/alarms/alarm', trigger: 'ticker' });
    expect(removed.response).toMatchObject({ success: true });
    const gone = await ow.feeds.get({ name: '/whisk.system/alarms/alarm', trigger: 'ticker' }).catch((error: { error?: any }) => error.error);
    expect(JSON.stringify(gone)).toMatch(/could not find/);
    await ow.rules.delete({ name: 'ticker-rule' });
    await ow.triggers.delete({ name: 'ticker' });
  });
});

describe('activations and namespaces', () => {
  test('list with name (also package/name), get, result and logs', async () => {
    await ow.actions.create({ name: 'box/talk', action: 'function main(p) { console.log("talking", p.n); return { n: p.n }; }' });
    const first = await ow.actions.invoke({ name: 'box/talk', blocking: true, params: { n: 1 } });
    await ow.actions.invoke({ name: 'box/talk', blocking: true, params: { n: 2 } });
    const byName = await ow.activations.list({ name: 'box/talk' });
    expect(byName).toHaveLength(2);
    expect(byName[1].activationId).toBe(first.activationId);
    expect(byName.every((record: { name: string }) => record.name === 'talk')).toBe(true);
    expect(await ow.activations.list({ name: 'box/talk', count: true })).toEqual({ activations: 2 });
    const record = await ow.activations.get({ name: first.activationId });
    expect(record).toMatchObject({ name: 'talk', response: { success: true, result: { n: 1 } } });
    expect(await ow.activations.result({ name: first.activationId })).toMatchObject({ success: true, status: 'success', result: { n: 1 } });
    const { logs } = await ow.activations.logs({ name: first.activationId });
    expect(logs).toEqual([expect.stringMatching(/stdout: talking 1$/)]);
  });

  test('namespaces.list names the key\'s namespace; namespaces.get lists its entities', async () => {
    expect(await ow.namespaces.list()).toEqual(['guest']);
    const contents = await ow.namespaces.get();
    expect(contents.actions.map((action: { name: string }) => action.name)).toEqual(expect.arrayContaining(['zipped', 'tuned', 'lines']));
    expect(contents.packages.map((pkg: { name: string }) => pkg.name)).toEqual(expect.arrayContaining(['box', 'csv']));
  });
});
