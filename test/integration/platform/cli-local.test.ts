/**
 * `whiskflow local` from the compiled CLI (run `npx tsc -p tsconfig.build.json` first): prints the
 * apihost and auth, serves the API, writes a wskprops file only when asked, and stops cleanly on SIGINT.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'whiskflow.js');
let dataDir: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-cli-'));
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('starts, answers, and stops on SIGINT', async () => {
  const wskprops = join(dataDir, 'wskprops');
  child = spawn(process.execPath, [BIN, 'local', '--port', '0', '--data-dir', join(dataDir, 'data'), '--write-wskprops', wskprops], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('ready')) { clearInterval(check); resolve(); }
      if (child?.exitCode !== null) { clearInterval(check); reject(new Error(`exited early: ${output}`)); }
    }, 50);
  });
  const apihost = /apihost: (\S+)/.exec(output)?.[1];
  const auth = /auth: (\S+)/.exec(output)?.[1];
  expect(apihost).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(auth).toBe('23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP');
  const namespaces = await fetch(`${apihost}/api/v1/namespaces`, { headers: { authorization: `Basic ${Buffer.from(auth!).toString('base64')}` } });
  expect(await namespaces.json()).toEqual(['guest']);
  expect(readFileSync(wskprops, 'utf8')).toBe(`APIHOST=${apihost}\nAUTH=${auth}\nNAMESPACE=guest\n`);
  expect(existsSync(join(dataDir, 'data', 'couch'))).toBe(true);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(`${apihost}/api/v1`)).rejects.toThrow();
});
