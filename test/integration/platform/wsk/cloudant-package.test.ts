/**
 * The built-in `/whisk.system/cloudant` package through the real `wsk`: a trigger created with
 * `--feed /whisk.system/cloudant/changes` and the cloudant feed's parameters (dbname, protocol, host,
 * port, username, password) fires once per written document, READ shows the settings without the
 * password, a bad parameter is refused with its name, and deleting the trigger stops the feed.
 */
import { until, sleep } from '../../../helpers/until';
import { useWsk } from './support';

const wsk = useWsk();

function serverParams(couchUrl: string): string[] {
  const url = new URL(couchUrl);
  return [
    '-p', 'protocol', url.protocol.replace(':', ''), '-p', 'host', url.hostname, '-p', 'port', url.port,
    '-p', 'username', decodeURIComponent(url.username), '-p', 'password', decodeURIComponent(url.password),
  ];
}

async function createDb(couchUrl: string, dbname: string): Promise<void> {
  const url = new URL(couchUrl);
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
  url.username = '';
  url.password = '';
  const base = url.toString().replace(/\/$/, '');
  const response = await fetch(`${base}/${dbname}`, { method: 'PUT', headers: { authorization: auth } });
  if (!response.ok && response.status !== 412) throw new Error(`creating ${dbname}: HTTP ${response.status}`);
  writers.set(dbname, async (id, doc) => {
    const put = await fetch(`${base}/${dbname}/${id}`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(doc) });
    if (!put.ok) throw new Error(`writing ${id}: HTTP ${put.status}`);
  });
}
const writers = new Map<string, (id: string, doc: object) => Promise<void>>();

/** The results of the `seen` action's activations (each is the payload a fire handed it). */
async function seen(): Promise<any[]> {
  const list: { activationId: string }[] = await wsk.ow.activations.list({ name: 'seen', limit: 50 });
  return Promise.all(list.map(async (entry) => (await wsk.ow.activations.get({ name: entry.activationId })).response?.result));
}
const firedItems = async (): Promise<string[]> => (await seen()).flatMap((result) => (typeof result?.input?.item === 'string' ? [result.input.item] : []));

test('the package and its feed are listed like the catalog\'s', async () => {
  const pkg = await wsk.json('package', 'get', '/whisk.system/cloudant');
  expect(pkg).toMatchObject({ namespace: 'whisk.system', name: 'cloudant', publish: true });
  expect(pkg.feeds.map((feed: { name: string }) => feed.name)).toEqual(['changes']);
  expect(await wsk.run('package', 'list', '/whisk.system')).toMatch(/\/whisk\.system\/cloudant\s+shared/);
  const feed = await wsk.json('action', 'get', '/whisk.system/cloudant/changes');
  expect(feed.annotations).toEqual(expect.arrayContaining([{ key: 'feed', value: true }]));
});

test('a feed trigger fires once per change with the document, READ hides the password, delete stops it', async () => {
  await createDb(wsk.platform.couchUrl, 'orders');
  const write = writers.get('orders')!;
  wsk.file('seen.js', 'function main(params) { return params; }');
  await wsk.run('action', 'create', 'seen', `${wsk.dir()}/seen.js`, '--kind', 'nodejs:20');
  await wsk.run('trigger', 'create', 'on-order', '--feed', '/whisk.system/cloudant/changes', '-p', 'dbname', 'orders', ...serverParams(wsk.platform.couchUrl));
  await wsk.run('rule', 'create', 'on-order-seen', 'on-order', 'seen');

  // wsk reads a feed trigger through its feed (lifecycleEvent READ): the settings, without the password.
  const read = await wsk.json('trigger', 'get', 'on-order');
  expect(read.response.result).toEqual({
    config: { dbname: 'orders', status: 'active', triggerName: '/guest/on-order', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), username: expect.any(String) },
    status: { active: true },
  });
  expect(JSON.stringify(read)).not.toContain(decodeURIComponent(new URL(wsk.platform.couchUrl).password));
  // The feed follows from "now": write until the follower, which starts as the trigger is created, sees one.
  let n = 0;
  await until('a change fires the trigger', async () => {
    await write(`order-${n}`, { item: `tea-${n}` });
    n += 1;
    await sleep(300);
    return (await firedItems()).length > 0;
  });
  const [result] = await seen();
  expect(result).toMatchObject({ dbname: 'orders', id: expect.stringMatching(/^order-\d+$/), seq: expect.anything(), changes: [{ rev: expect.any(String) }] });
  expect(result.input).toMatchObject({ item: expect.stringMatching(/^tea-\d+$/) });


  await wsk.run('rule', 'delete', 'on-order-seen');
  await wsk.run('trigger', 'delete', 'on-order');
  await write('order-late', { item: 'late' });
  await sleep(1_500);
  expect(await firedItems()).not.toContain('late');
});

test('a feed without dbname is refused, naming it', async () => {
  const result = await wsk.attempt('trigger', 'create', 'no-db', '--feed', '/whisk.system/cloudant/changes', ...serverParams(wsk.platform.couchUrl));
  expect(result.code).not.toBe(0);
  expect(`${result.stdout}${result.stderr}`).toContain("changes feed needs 'dbname'");
});
