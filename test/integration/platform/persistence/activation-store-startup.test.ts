/**
 * Platform startup reads back a bounded number of activation records, whatever the database holds:
 * the newest ones (the memory window), not all of them. Older records stay readable by id, and the
 * journal's records are still checked against CouchDB by id. On the embedded CouchDB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabases, type PlatformDatabases } from '../../../../lib/platform/persistence/couch';
import { ActivationStore } from '../../../../lib/platform/persistence/activation-store';
import { responseOf, type ActivationRecord } from '../../../../lib/platform/activation-record';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../../lib/store/embedded-couch';

jest.setTimeout(180_000);

let dataDir: string;
let couch: EmbeddedCouch;
let databases: PlatformDatabases;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-activation-startup-'));
  couch = await startEmbeddedCouch({ dataDir, port: 0 });
  databases = await openDatabases(couch.url, 'startup_');
});

afterAll(async () => {
  await couch?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function record(i: number): ActivationRecord {
  return {
    namespace: 'guest', name: 'a', version: '0.0.1', subject: 'guest', activationId: `id${String(i).padStart(30, '0')}`,
    start: 1_000_000 + i, end: 1_000_000 + i, duration: 0, response: responseOf('success', { i }), logs: [], annotations: [], publish: false,
  };
}

test('opening the store reads the newest records of a large database, not all of them', async () => {
  const total = 3000;
  for (let from = 0; from < total; from += 500) {
    await databases.activations.bulk({ docs: Array.from({ length: 500 }, (_, k) => ({ ...record(from + k), _id: `guest/${record(from + k).activationId}` })) });
  }
  // Count the documents each read request brings back.
  let docsRead = 0;
  const counting = new Proxy(databases.activations, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const answer = await (value as (...a: unknown[]) => Promise<{ rows?: unknown[]; results?: unknown[] }>).apply(target, args);
        if (key === 'list' || key === 'changes') docsRead += (answer.rows ?? answer.results ?? []).length;
        return answer;
      };
    },
  });
  const store = await ActivationStore.open(counting, { cacheSize: 100 });
  expect(docsRead).toBeLessThanOrEqual(100);
  // The window holds the newest records; an older one is read from CouchDB by id.
  const listed = store.list('guest', {}, () => true);
  expect(listed).toHaveLength(100);
  expect(listed[0]!.activationId).toBe(record(total - 1).activationId);
  expect((await store.get('guest', record(5).activationId))?.response.result).toEqual({ i: 5 });
  await store.close();
});
