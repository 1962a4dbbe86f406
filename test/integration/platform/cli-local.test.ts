/**
 * `whiskflow local` from the compiled CLI (run `npm run build` first): prints the apihost and auth,
 * serves the API, writes a wskprops file only when asked, and stops cleanly on SIGINT; with
 * `--stream` it runs the streaming engines too.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireRedis } from '../../helpers/services';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'whiskflow.js');
const execFileAsync = promisify(execFile);
let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-cli-'));
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** `whiskflow local <args>` until it says `ready`; its output so far, and its exit. */
async function startLocal(args: string[]): Promise<{ local: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const local = spawn(process.execPath, [BIN, 'local', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = local;
  let output = '';
  local.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  local.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => local.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('ready')) { clearInterval(check); resolve(); }
      if (local.exitCode !== null) { clearInterval(check); reject(new Error(`exited early: ${output}`)); }
    }, 50);
  });
  return { local, output: () => output, exited };
}

test('starts, answers, and stops on SIGINT', async () => {
  const wskprops = join(dataDir, 'wskprops');
  const started = await startLocal(['--port', '0', '--data-dir', join(dataDir, 'data'), '--write-wskprops', wskprops]);
  const output = started.output();
  const { exited } = started;
  const apihost = /apihost: (\S+)/.exec(output)?.[1];
  const auth = /auth: (\S+)/.exec(output)?.[1];
  expect(apihost).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(auth).toBe('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP');
  const namespaces = await fetch(`${apihost}/api/v1/namespaces`, { headers: { authorization: `Basic ${Buffer.from(auth!).toString('base64')}` } });
  expect(await namespaces.json()).toEqual(['guest']);
  // Where the CLI learns the store of this platform (its URL carries the embedded CouchDB's
  // credentials, printed only without the password); gone once it stops.
  const recorded = join(dataDir, 'data', 'local-platform.json');
  const { couchUrl } = JSON.parse(readFileSync(recorded, 'utf8')) as { couchUrl: string };
  const { username, password, port } = new URL(couchUrl);
  expect(username).toMatch(/^admin-/);
  expect(password.length).toBeGreaterThanOrEqual(16);
  expect(/couchdb: (\S+)/.exec(output)?.[1]).toBe(`http://${username}:***@127.0.0.1:${port}`);
  expect(output).not.toContain(password);
  expect(JSON.parse(readFileSync(recorded, 'utf8'))).toMatchObject({ apihost, namespace: 'guest', dbname: 'whiskflow' });
  expect(statSync(recorded).mode & 0o777).toBe(0o600);
  // wsk's keys, and the store for whiskflow (wsk keeps keys it does not know).
  expect(readFileSync(wskprops, 'utf8')).toBe(`APIHOST=${apihost}\nAUTH=${auth}\nNAMESPACE=guest\nCOUCHDB_URL=${couchUrl}\n`);
  expect(output).toContain(`wsk property set --apihost ${apihost} --auth ${auth}`);
  expect(output).toContain(`export WHISKFLOW_APIHOST=${apihost} WHISKFLOW_AUTH=${auth} WHISKFLOW_NAMESPACE=guest WHISKFLOW_DATA_DIR=${join(dataDir, 'data')}`);
  expect(existsSync(join(dataDir, 'data', 'couch'))).toBe(true);

  started.local.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(existsSync(recorded)).toBe(false);
  await expect(fetch(`${apihost}/api/v1`)).rejects.toThrow();
});

test('with --stream, runs the streaming engines: a workflow deployed with --model streaming runs with nothing else started', async () => {
  const redis = await requireRedis();
  let started: Awaited<ReturnType<typeof startLocal>> | undefined;
  try {
    started = await startLocal(['--port', '0', '--couch-port', '0', '--data-dir', join(dataDir, 'streamed'), '--stream', redis.url]);
    const output = started.output();
    expect(output).toContain(`streaming engines on ${redis.url}`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WHISK_APIHOST: /apihost: (\S+)/.exec(output)?.[1],
      WHISK_AUTH: /auth: (\S+)/.exec(output)?.[1],
      // The store's URL carries the embedded CouchDB's credentials: the CLI finds it in the data dir.
      WHISKFLOW_DATA_DIR: join(dataDir, 'streamed'),
    };
    delete env.COUCHDB_URL;
    const cli = async (...args: string[]): Promise<string> => (await execFileAsync(process.execPath, [BIN, ...args], { env, cwd: ROOT, timeout: 120_000 })).stdout;
    await cli('deploy', 'examples/map-reduce', '--actions', 'examples/map-reduce/actions.js', '--package', 'mapreduce', '--model', 'streaming', '--stream', redis.url);
    const printed = await cli('run', 'map-reduce', '--input', 'examples/map-reduce/input.json', '--wait', '--timeout', '100');
    const runId = /started run (\S+)/.exec(printed)?.[1];
    const result = printed.slice(printed.indexOf(`run ${runId} succeeded`)).replace(/^.*\n/, '');
    expect(JSON.parse(result)).toEqual({ label: 'large', total: 210, parts: 5 });
    // The engines in `whiskflow local` ran it: they print each run they finish.
    expect(started.output()).toContain(`run ${runId} succeeded`);
  } finally {
    started?.local.kill('SIGINT');
    await started?.exited;
    await redis.stop();
  }
}, 180_000);

test('with a --stream URL holding a password, the password is not on the command line that ps and action containers read', async () => {
  const redis = await requireRedis();
  // Redis's default user takes any password when it has none, so the engines still connect.
  const withPassword = redis.url.replace('redis://', 'redis://default:cmdline-hunter2@');
  let started: Awaited<ReturnType<typeof startLocal>> | undefined;
  try {
    started = await startLocal(['--port', '0', '--couch-port', '0', '--data-dir', join(dataDir, 'hidden'), '--stream', withPassword]);
    const cmdline = readFileSync(`/proc/${started.local.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--stream');
    expect(cmdline).not.toContain('cmdline-hunter2');
    expect(started.output()).not.toContain('cmdline-hunter2');
  } finally {
    started?.local.kill('SIGINT');
    await started?.exited;
    await redis.stop();
  }
});
