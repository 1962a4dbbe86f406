/**
 * Connections that arrive while the embedded CouchDB's server is killed are served by its successor
 * or closed, never left open with nobody to answer them.
 *
 * Found by the fault harness: after a `kill -9` of the CouchDB during a 400-task map, a task
 * conductor's request sat unread for five minutes on a connection its supervisor had accepted (the
 * supervisor and the server accept on the same port) and was handing over to the server that died;
 * the conductor waited out its 300 s limit, and the map with it. Here many clients open fresh
 * connections while the server is killed several times; each request must get an answer (or a
 * connection failure, retried as the store clients retry them) within a bound far above a restart.
 */
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PID_FILE, requestTarget, startEmbeddedCouch, type EmbeddedCouch } from '../../../lib/store/embedded-couch';
import { until } from '../../helpers/until';

let couch: EmbeddedCouch;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-restart-'));
  couch = await startEmbeddedCouch({ dataDir });
});
afterAll(async () => {
  await couch?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A request on a connection of its own (no keep-alive pool): every one is a new accept on the port. */
function send(method: string, path: string, body?: unknown): Promise<{ status: number } | { failed: string }> {
  const { url, headers } = requestTarget(couch.url);
  const target = new URL(url);
  return new Promise((resolve) => {
    const req = request({
      host: target.hostname, port: target.port, method, path, agent: false,
      headers: { ...headers, 'content-type': 'application/json', connection: 'close' },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ failed: error.message }));
    });
    req.on('error', (error) => resolve({ failed: error.message }));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** What a store client does: a connection failure is sent again (connection-retry.ts), an answer is final. */
async function write(id: string, unanswered: string[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    // Far above a restart (a second or two): only a connection nobody serves takes this long.
    const answer = await Promise.race([
      send('PUT', `/restarts/${id}`, { id }),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 60_000).unref()),
    ]);
    if (answer === 'hung') { unanswered.push(id); return 0; }
    if ('status' in answer) return answer.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id}: no answer after 100 connection failures`);
}

test('connections accepted while the server is killed, again and again, all get an answer', async () => {
  expect((await send('PUT', '/restarts')).valueOf()).toEqual({ status: 201 });
  const unanswered: string[] = [];
  const statuses: number[] = [];
  let stop = false;
  // Clients opening connection after connection, as a busy platform and its actions do.
  const clients = Array.from({ length: 24 }, async (_, client) => {
    for (let i = 0; !stop; i++) statuses.push(await write(`c${client}-${i}`, unanswered));
  });
  const pidFile = join(dataDir, 'couch', PID_FILE);
  for (let kill = 0; kill < 6; kill++) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await until('the next server', async () => Number(readFileSync(pidFile, 'utf8')) !== pid, 20_000);
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  stop = true;
  await Promise.all(clients);
  expect(unanswered).toEqual([]);
  // A write that landed before its answer was lost comes back as 409 on the retry: answered too.
  expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
  expect(statuses.length).toBeGreaterThan(100);
}, 300_000);
