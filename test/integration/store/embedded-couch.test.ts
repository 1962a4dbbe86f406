/**
 * The local platform's embedded CouchDB: it answers only its admin (as a CouchDB with
 * `require_valid_user = true`), its files are private to the user, it comes back by itself after a
 * `kill -9` without losing acknowledged writes, and its credentials appear in no record, log or
 * error message. Driven over HTTP (fetch, nano) and with the real `wsk`.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nano from 'nano';
import { startLocalPlatform, type LocalPlatform } from '../../helpers/local-platform';
import { wsk } from '../../helpers/openwhisk-cli';
import { until } from '../../helpers/until';
import { startEmbeddedCouch, requestTarget, PID_FILE } from '../../../lib/store/embedded-couch';
import { couchCredentialsPath } from '../../../lib/store/couch-credentials';
import { createRunStore } from '../../../lib/store/config';

let platform: LocalPlatform;
let codeDir: string;
const platformLog: string[] = [];
let base: string;
let password: string;
let authHeader: Record<string, string>;

beforeAll(async () => {
  codeDir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-actions-'));
  platform = await startLocalPlatform({ log: (message) => platformLog.push(message) });
  const target = requestTarget(platform.couchUrl);
  base = target.url;
  authHeader = target.headers;
  password = decodeURIComponent(new URL(platform.couchUrl).password);
});
afterAll(async () => {
  await platform?.stop();
  rmSync(codeDir, { recursive: true, force: true });
});

function actionFile(name: string, code: string): string {
  const file = join(codeDir, name);
  writeFileSync(file, code);
  return file;
}

const anonymous = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init);
const asAdmin = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...authHeader, ...(init.headers as Record<string, string> | undefined) } });

describe('authentication', () => {
  test('the URL the platform uses carries generated credentials', () => {
    const url = new URL(platform.couchUrl);
    expect(url.username).toMatch(/^admin-[0-9a-f]{8}$/);
    expect(password.length).toBeGreaterThanOrEqual(24);
  });

  test.each(['/_all_dbs', '/whisk_local_subjects/_all_docs', '/whisk_local_whisks/_all_docs', '/whisk_local_activations/_all_docs', '/'])(
    'GET %s without credentials: 401 as from CouchDB with require_valid_user', async (path) => {
      const response = await anonymous(path);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="server"');
      expect(await response.json()).toEqual({ error: 'unauthorized', reason: 'Authentication required.' });
    });

  test('a wrong password is refused, the right one answers', async () => {
    const user = new URL(platform.couchUrl).username;
    const wrong = await anonymous('/_all_dbs', { headers: { authorization: `Basic ${Buffer.from(`${user}:not-the-password`).toString('base64')}` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: 'unauthorized', reason: 'Name or password is incorrect.' });
    const right = await asAdmin('/_all_dbs');
    expect(right.status).toBe(200);
    expect(JSON.parse(await right.text())).toEqual(expect.arrayContaining(['whisk_local_subjects', 'whisk_local_whisks', 'whisk_local_activations']));
    const session = await asAdmin('/_session');
    expect(await session.json()).toMatchObject({ ok: true, userCtx: { name: user, roles: ['_admin'] } });
  });

  test('a local process cannot add a namespace key, nor create a database', async () => {
    const forged = { _id: 'intruder', subject: 'intruder', namespaces: [{ name: 'intruder', uuid: '11111111-2222-3333-4444-555555555555', key: 'k'.repeat(64) }] };
    const put = await anonymous('/whisk_local_subjects/intruder', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(put.status).toBe(401);
    const post = await anonymous('/whisk_local_subjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(forged) });
    expect(post.status).toBe(401);
    const bulk = await anonymous('/whisk_local_subjects/_bulk_docs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ docs: [forged] }) });
    expect(bulk.status).toBe(401);
    expect((await anonymous('/intruders', { method: 'PUT' })).status).toBe(401);
    expect((await asAdmin('/whisk_local_subjects/intruder')).status).toBe(404);
    expect((await asAdmin('/intruders')).status).toBe(404);
  });
});

describe('files', () => {
  test('the credentials file is 0600 in a 0700 directory; the data directory and the database files are private', () => {
    const file = couchCredentialsPath(platform.dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(platform.dataDir).mode & 0o777).toBe(0o700);
    const loose = walk(join(platform.dataDir, 'couch')).filter(({ mode }) => (mode & 0o077) !== 0);
    expect(loose).toEqual([]);
  });

  test('a data directory left world-readable by an earlier version is made private at start; its port and data are kept', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-modes-'));
    try {
      const first = await startEmbeddedCouch({ dataDir, port: 0 });
      const firstUrl = first.url;
      const db = nano(first.url).db;
      await db.create('kept');
      await db.use<{ value: number }>('kept').insert({ _id: 'doc', value: 1 });
      await first.stop();
      // What a version without these rules left behind.
      chmodSync(dataDir, 0o755);
      for (const entry of walk(join(dataDir, 'couch'))) chmodSync(entry.path, entry.directory ? 0o755 : 0o644);
      mkdirSync(join(dataDir, 'unrelated'), { mode: 0o755 });
      writeFileSync(join(dataDir, 'unrelated', 'file'), 'not the platform\'s', { mode: 0o644 });
      chmodSync(join(dataDir, 'unrelated', 'file'), 0o644);

      const second = await startEmbeddedCouch({ dataDir, port: 0 });
      try {
        expect(second.url).toBe(firstUrl);
        expect(statSync(dataDir).mode & 0o777).toBe(0o700);
        expect(walk(join(dataDir, 'couch')).filter(({ mode }) => (mode & 0o077) !== 0)).toEqual([]);
        // Files of the user's own in the directory are theirs to keep as they are.
        expect(statSync(join(dataDir, 'unrelated', 'file')).mode & 0o777).toBe(0o644);
        expect(await nano(second.url).db.use<{ value: number }>('kept').get('doc')).toMatchObject({ value: 1 });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a damaged credentials file stops the start with an error naming it, and is left as it is', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-damaged-'));
    try {
      mkdirSync(join(dataDir, 'credentials'), { mode: 0o700 });
      writeFileSync(couchCredentialsPath(dataDir), '{"username": "a"}', { mode: 0o600 });
      await expect(startEmbeddedCouch({ dataDir, port: 0 })).rejects.toThrow(couchCredentialsPath(dataDir));
      expect(readFileSync(couchCredentialsPath(dataDir), 'utf8')).toBe('{"username": "a"}');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('supervision', () => {
  test('after a kill -9 of the CouchDB alone, it comes back by itself with every acknowledged write, and the API works again', async () => {
    const db = nano(platform.couchUrl).db;
    await db.create('durability');
    const docs = db.use<{ i: number }>('durability');
    const written: string[] = [];
    for (let i = 0; i < 300; i++) {
      const answer = await docs.insert({ _id: `doc-${String(i).padStart(4, '0')}`, i });
      expect(answer.ok).toBe(true);
      written.push(answer.id);
    }
    const pidFile = join(platform.dataDir, 'couch', PID_FILE);
    const killed = Number(readFileSync(pidFile, 'utf8'));
    // Right after the last 201.
    process.kill(killed, 'SIGKILL');
    await until('the killed server is gone', async () => !isAlive(killed), 10_000);

    // At once, without waiting for the restart: the request waits for the new server instead of failing.
    await wsk(platform, 'action', 'create', 'after-kill', actionFile('after-kill.js', 'function main(p) { return { hello: p.name }; }'), '--kind', 'nodejs:20');
    const restarted = Number(readFileSync(pidFile, 'utf8'));
    expect(restarted).not.toBe(killed);
    expect(isAlive(restarted)).toBe(true);
    expect(platformLog.join('\n')).toContain(`the embedded CouchDB (pid ${killed}) exited (SIGKILL); restarting it`);

    const result = JSON.parse(await wsk(platform, 'action', 'invoke', 'after-kill', '--param', 'name', 'again', '--result')) as unknown;
    expect(result).toEqual({ hello: 'again' });
    const listed = await docs.list();
    expect(listed.rows.map((row) => row.id)).toEqual(written);
    // The action created after the kill is in the store, not only in the platform's memory.
    const entities = await nano(platform.couchUrl).db.use<{ name?: string }>('whisk_local_whisks').list({ include_docs: true });
    expect(entities.rows.map((row) => row.doc?.name)).toContain('after-kill');
  });
});

describe('credentials stay secret', () => {
  test('an action annotated provide-platform-couchdb reaches the store; the credentials appear in no record, log, entity or error', async () => {
    const code = `
      async function main() {
        const url = new URL(process.env.__OW_LOCAL_COUCHDB_URL);
        const authorization = 'Basic ' + Buffer.from(decodeURIComponent(url.username) + ':' + decodeURIComponent(url.password)).toString('base64');
        url.username = ''; url.password = '';
        const dbs = await (await fetch(new URL('/_all_dbs', url), { headers: { authorization } })).json();
        const anonymous = (await fetch(new URL('/_all_dbs', url))).status;
        console.log('reached the store: ' + dbs.length + ' databases');
        return { reached: dbs.includes('whisk_local_activations'), anonymous, withCredentials: url.username === '' };
      }`;
    await wsk(platform, 'action', 'create', 'uses-store', actionFile('uses-store.js', code), '--kind', 'nodejs:20', '--annotation', 'provide-platform-couchdb', 'true');
    const invoked = await wsk(platform, 'action', 'invoke', 'uses-store', '--blocking');
    // wsk prints `ok: invoked /_/uses-store with id ...` before the record.
    const activation = JSON.parse(invoked.slice(invoked.indexOf('{'))) as { activationId: string; response: { result: unknown } };
    expect(activation.response.result).toEqual({ reached: true, anonymous: 401, withCredentials: true });

    // A run store given the URL whose server is gone fails with a message that does not name the password.
    const store = createRunStore({ kind: 'couchdb', url: `http://admin-x:${password}@127.0.0.1:9/`, dbname: 'whiskflow' });
    const failure = await store.get('anything').then(() => undefined, (error: unknown) => error as Error);
    expect(failure?.message).toMatch(/failed/);

    const seen = [
      await wsk(platform, 'action', 'get', 'uses-store'),
      await wsk(platform, 'activation', 'get', activation.activationId),
      await wsk(platform, 'activation', 'logs', activation.activationId),
      await wsk(platform, 'activation', 'list', '--limit', '50'),
      JSON.stringify(await nano(platform.couchUrl).db.use('whisk_local_activations').list({ include_docs: true })),
      JSON.stringify(await nano(platform.couchUrl).db.use('whisk_local_whisks').list({ include_docs: true })),
      readFileSync(join(platform.dataDir, 'couch', 'pouchdb-server.out'), 'utf8'),
      platformLog.join('\n'),
      `${failure?.message} ${JSON.stringify(failure)}`,
    ];
    expect(seen[2]).toContain('reached the store');
    for (const text of seen) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`${new URL(platform.couchUrl).username}:${password}`).toString('base64'));
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string): { path: string; mode: number; directory: boolean }[] {
  if (!existsSync(dir)) return [];
  const entries: { path: string; mode: number; directory: boolean }[] = [];
  const stat = lstatSync(dir);
  entries.push({ path: dir, mode: stat.mode & 0o777, directory: stat.isDirectory() });
  if (stat.isDirectory()) for (const name of readdirSync(dir)) entries.push(...walk(join(dir, name)));
  return entries;
}
