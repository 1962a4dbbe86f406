/**
 * `wsk activation`: list (by name, limit, skip, since), get, result, logs, `--last`, and poll with `--exit`.
 */
import { spawn } from 'node:child_process';
import { toolPath, wskpropsFor } from '../../../helpers/openwhisk-cli';
import { until } from '../../../helpers/until';
import { useWsk } from './support';

const suite = useWsk();
let firstId = '';

beforeAll(async () => {
  await suite.run('action', 'create', 'talker', suite.file('talker.js', 'function main(p) { console.log("said", p.word); console.error("warned"); return { said: p.word }; }'));
  await suite.run('action', 'create', 'quiet', suite.file('quiet.js', 'function main() { return { quiet: true }; }'));
  firstId = (await suite.json('action', 'invoke', 'talker', '-b', '-p', 'word', 'one')).activationId as string;
  await suite.run('action', 'invoke', 'quiet', '-b');
  await suite.run('action', 'invoke', 'talker', '-b', '-p', 'word', 'two');
});

function idsIn(listing: string): string[] {
  return listing.match(/\b[0-9a-f]{32}\b/g) ?? [];
}

test('list shows newest first with kind, status and entity; filters by name; --limit and --skip page', async () => {
  const all = await suite.run('activation', 'list');
  const lines = all.trim().split('\n');
  expect(lines[0]).toMatch(/^Datetime\s+Activation ID\s+Kind\s+Start\s+Duration\s+Status\s+Entity$/);
  expect(lines[1]).toMatch(/nodejs:\S+\s+(cold|warm)\s+\S+\s+success\s+guest\/talker:0\.0\.1$/);
  expect(lines[2]).toMatch(/success\s+guest\/quiet:0\.0\.1$/);
  expect(lines[3]).toContain(firstId);
  const talker = idsIn(await suite.run('activation', 'list', 'talker'));
  expect(talker).toHaveLength(2);
  expect(talker[1]).toBe(firstId);
  expect(idsIn(await suite.run('activation', 'list', '--limit', '1'))).toEqual([idsIn(all)[0]]);
  expect(idsIn(await suite.run('activation', 'list', '--skip', '2', '--limit', '1'))).toEqual([firstId]);
  const since = Date.now() + 60_000;
  expect(idsIn(await suite.run('activation', 'list', '--since', String(since)))).toEqual([]);
});

test('get shows the whole record; --summary and result show the result; logs show the log lines', async () => {
  const record = await suite.json('activation', 'get', firstId);
  expect(record).toMatchObject({
    activationId: firstId, namespace: 'guest', name: 'talker', version: '0.0.1', subject: 'guest',
    response: { status: 'success', statusCode: 0, success: true, result: { said: 'one' } },
  });
  expect(typeof record.start).toBe('number');
  expect(record.duration).toBe(record.end - record.start);
  expect(record.annotations).toEqual(expect.arrayContaining([{ key: 'path', value: 'guest/talker' }, { key: 'kind', value: expect.stringMatching(/^nodejs:/) }]));
  expect(await suite.run('activation', 'get', firstId, '--summary')).toMatch(/^activation result for '\/guest\/talker' \(success at .+\)\n\{\n {4}"said": "one"\n\}\n$/);
  expect(JSON.parse(await suite.run('activation', 'result', firstId))).toEqual({ said: 'one' });
  const logs = (await suite.run('activation', 'logs', firstId)).trim().split('\n');
  expect(logs).toEqual([expect.stringMatching(/^\S+Z\s+stdout: said one$/), expect.stringMatching(/^\S+Z\s+stderr: warned$/)]);
  expect(await suite.run('activation', 'logs', firstId, '--strip')).toBe('said one\nwarned\n');
});

test('--last picks the newest activation', async () => {
  expect(JSON.parse(await suite.run('activation', 'result', '--last'))).toEqual({ said: 'two' });
  expect((await suite.json('activation', 'get', '--last')).name).toBe('talker');
  expect(await suite.run('activation', 'logs', '--last', '--strip')).toBe('said two\nwarned\n');
});

test('a sequence\'s record lists its components\' activation ids as logs', async () => {
  await suite.run('action', 'create', 'both', '--sequence', 'quiet,/whisk.system/utils/echo');
  const record = await suite.json('action', 'invoke', 'both', '-b');
  expect(record.response.result).toEqual({ quiet: true });
  expect(record.logs).toHaveLength(2);
  const components = await Promise.all((record.logs as string[]).map(async (id) => (await suite.json('activation', 'get', id)).name as string));
  expect(components).toEqual(['quiet', 'echo']);
});

test('a missing activation is a 404, a malformed id a 400', async () => {
  const missing = await suite.attempt('activation', 'get', '0123456789abcdef0123456789abcdef');
  expect(missing.code).toBe(404 - 256);
  expect(missing.stderr).toContain('The requested resource does not exist.');
  const malformed = await suite.attempt('activation', 'get', 'not-an-id');
  expect(malformed.code).toBe(400 - 256);
  expect(malformed.stderr).toContain('The activation id is not valid.');
});

test('poll --exit prints activations that happen while it polls, then exits 0', async () => {
  const child = spawn(toolPath('wsk'), ['--apihost', suite.platform.apihost, '--auth', suite.platform.auth, 'activation', 'poll', 'talker', '--exit', '30'], {
    env: { ...process.env, WSK_CONFIG_FILE: wskpropsFor(suite.platform) },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await until('wsk is polling', async () => out.includes('Polling for activation logs'));
    const id = (await suite.json('action', 'invoke', 'talker', '-b', '-p', 'word', 'polled')).activationId as string;
    await suite.run('action', 'invoke', 'quiet', '-b');
    await until('wsk printed the new activation', async () => out.includes(`Activation: 'talker' (${id})`));
    expect(out).toContain('stdout: said polled');
    expect(out).not.toContain("Activation: 'quiet'");
    expect(out).not.toContain(firstId);
  } finally {
    child.kill('SIGINT');
    await exited;
  }
});

test('poll --exit ends by itself', async () => {
  const result = await suite.attempt('activation', 'poll', '--exit', '2');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('Polling for activation logs');
});
