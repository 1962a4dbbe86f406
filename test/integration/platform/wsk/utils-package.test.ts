/**
 * The built-in `/whisk.system/utils` package through the real `wsk`: the catalog's actions with their
 * annotations, each run on its documented sample, composed in users' sequences and rules, and the same
 * package (no duplicate, nothing lost) after a restart on the same data directory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../../../helpers/openwhisk-cli';
import { LocalPlatform, startLocalPlatform } from '../../../helpers/local-platform';
import { SYSTEM_AUTH } from '../../../../lib/platform';
import { parseAfterOk } from './support';

let dataDir: string;
let platform: LocalPlatform | undefined;

async function wskOk(auth: string, ...args: string[]): Promise<string> {
  if (!platform) throw new Error('no platform');
  const result = await runTool('wsk', args, { apihost: platform.apihost, auth }, { cwd: dataDir });
  if (result.code !== 0) throw new Error(`wsk ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}
const wsk = (...args: string[]) => wskOk(platform!.auth, ...args);
const json = async (...args: string[]) => parseAfterOk(await wsk(...args));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-utils-'));
  platform = await startLocalPlatform({ dataDir });
});
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const ACTIONS = ['echo', 'cat', 'smash', 'split', 'sort', 'head', 'date', 'namespace', 'hosturl'];

test('the package is published with the catalog\'s description; every action carries its annotations', async () => {
  const pkg = await json('package', 'get', '/whisk.system/utils');
  expect(pkg).toMatchObject({ namespace: 'whisk.system', name: 'utils', version: '0.0.1', publish: true });
  expect(pkg.annotations).toEqual([{ key: 'description', value: 'Building blocks that format and assemble data' }]);
  expect(pkg.actions.map((action: { name: string }) => action.name)).toEqual(ACTIONS);
  const split = await json('action', 'get', '/whisk.system/utils/split');
  expect(split.namespace).toBe('whisk.system/utils');
  const annotations = Object.fromEntries((split.annotations as { key: string; value: unknown }[]).map(({ key, value }) => [key, value]));
  expect(annotations).toMatchObject({
    description: 'Split a string into an array',
    parameters: [{ name: 'payload', required: true, description: 'A string' }, { name: 'separator', required: false, description: 'The character, or the regular expression, to use for splitting the string' }],
    sampleInput: { payload: 'one,two,three', separator: ',' },
    sampleOutput: { lines: ['one', 'two', 'three'], payload: 'one,two,three' },
  });
});

test('wsk action get --save copies a catalog action\'s code', async () => {
  await wsk('action', 'get', '/whisk.system/utils/split', '--save');
  expect(readFileSync(join(dataDir, 'split.js'), 'utf8')).toContain('function main(params)');
});

test.each(['echo', 'cat', 'smash', 'split', 'sort', 'head'])('%s turns its sample input into its sample output', async (name) => {
  const action = await json('action', 'get', `/whisk.system/utils/${name}`);
  const sample = (key: string) => (action.annotations as { key: string; value: unknown }[]).find((item) => item.key === key)?.value;
  const input = join(dataDir, `${name}-input.json`);
  writeFileSync(input, JSON.stringify(sample('sampleInput')));
  const result = JSON.parse(await wsk('action', 'invoke', `/whisk.system/utils/${name}`, '-r', '--param-file', input));
  if (name === 'cat') {
    // The catalog's sample omits the joined payload the action also returns.
    expect(result).toEqual({ lines: [4, 2, 3], payload: '4\n2\n3' });
  } else {
    expect(result).toEqual(sample('sampleOutput'));
  }
});

test('split splits at line ends by default; head defaults to one line; smash needs $fieldName', async () => {
  const file = join(dataDir, 'lines.json');
  writeFileSync(file, JSON.stringify({ payload: 'b\r\na\nc' }));
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/split', '-r', '--param-file', file)).lines).toEqual(['b', 'a', 'c']);
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/head', '-r', '-p', 'lines', '["x","y"]'))).toEqual({ lines: ['x'], num: 1 });
  const smash = await runTool('wsk', ['action', 'invoke', '/whisk.system/utils/smash', '-b', '-r', '-p', 'a', '1'], platform!);
  expect(smash.code).toBe(502 - 256);
  expect(JSON.parse(smash.stderr)).toEqual({ error: "Expected an argument '$fieldName' of type 'string'." });
});

test('date, namespace and hosturl read the activation\'s clock and __OW_ variables', async () => {
  const before = Date.now();
  const { date } = JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/date', '-r')) as { date: string };
  expect(Date.parse(date)).toBeGreaterThanOrEqual(before - 1000);
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/namespace', '-r'))).toEqual({ namespace: 'guest' });
  expect(JSON.parse(await wskOk(SYSTEM_AUTH, 'action', 'invoke', '/whisk.system/utils/namespace', '-r'))).toEqual({ namespace: 'whisk.system' });
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/hosturl', '-r', '-p', 'path', 'pkg/act')))
    .toEqual({ url: `${platform!.apihost}/api/v1/namespaces/guest/actions/pkg/act` });
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/hosturl', '-r', '-p', 'path', 'hook', '-p', 'web', 'true', '-p', 'ext', '.json')))
    .toEqual({ url: `${platform!.apihost}/api/v1/web/guest/default/hook.json` });
  expect(JSON.parse(await wsk('action', 'invoke', '/whisk.system/utils/hosturl', '-r', '-p', 'path', 't', '-p', 'trigger', 'true')))
    .toEqual({ url: `${platform!.apihost}/api/v1/namespaces/guest/triggers/t` });
});

test('a user\'s sequence of utils actions runs them in its own namespace; activations carry their path', async () => {
  await wsk('action', 'create', 'words', '--sequence', '/whisk.system/utils/split,/whisk.system/utils/sort,/whisk.system/utils/head');
  const record = await json('action', 'invoke', 'words', '-b', '-p', 'payload', 'pear,apple,fig', '-p', 'separator', ',', '-p', 'num', '2');
  // head keeps only lines and num: split passes payload on, sort drops the rest.
  expect(record.response.result).toEqual({ lines: ['apple'], num: 1 });
  const components = await Promise.all((record.logs as string[]).map((id) => json('activation', 'get', id)));
  expect(components.map((activation) => activation.namespace)).toEqual(['guest', 'guest', 'guest']);
  expect(components.map((activation) => activation.annotations.find((a: { key: string }) => a.key === 'path').value))
    .toEqual(['whisk.system/utils/split', 'whisk.system/utils/sort', 'whisk.system/utils/head']);
  expect(components[1].logs.some((line: string) => line.includes('sort after: apple,fig,pear'))).toBe(true);
});

test('after a restart on the same data the package is the same: nothing doubled, users\' sequences still run', async () => {
  const before = await json('package', 'get', '/whisk.system/utils');
  await platform!.stop();
  platform = await startLocalPlatform({ dataDir });
  const after = await json('package', 'get', '/whisk.system/utils');
  expect(after.actions).toEqual(before.actions);
  expect((await wsk('package', 'list', '/whisk.system')).match(/\/whisk\.system\/utils\s/g)).toHaveLength(1);
  const record = await json('action', 'invoke', 'words', '-b', '-p', 'payload', 'b,a', '-p', 'separator', ',', '-p', 'num', '5');
  expect(record.response.result).toEqual({ lines: ['a'], num: 1 });
  // whisk.system's own key lists exactly the catalog's actions.
  const list = await wskOk(SYSTEM_AUTH, 'action', 'list', '/whisk.system/utils');
  expect(list.trim().split('\n')).toHaveLength(1 + ACTIONS.length);
});
