/**
 * What the platform keeps in memory stays bounded: activation records by a byte budget (records
 * logging megabytes each are evicted, yet stay readable from CouchDB), and large action code on disk
 * (read when a container starts or a client asks for it), so that neither pins hundreds of megabytes.
 * The platform runs in this process: its RSS, after garbage collection, is what it holds.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientFor, LocalPlatform, startLocalPlatform } from '../../helpers/local-platform';
import { MB, settledRss } from '../../helpers/memory';
import { raw } from './support';

let dataDir = '';
let platform: LocalPlatform | undefined;
let ow: any;

const start = async () => {
  platform = await startLocalPlatform({ dataDir, runtime: { maxContainers: 2 } });
  ow = clientFor(platform);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-memory-'));
  await start();
});
afterAll(async () => {
  await platform?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Megabytes through containers, CouchDB and clients take minutes on a loaded 2-core machine. */
const SLOW = 300_000;

const report = (what: string, before: number, after: number) =>
  process.stdout.write(`${what}: RSS ${Math.round(before / MB)} MB before, ${Math.round(after / MB)} MB after (+${Math.round((after - before) / MB)} MB)\n`);

describe('activation records', () => {
  test('40 activations logging 10 MB each keep the cache under its byte budget and the RSS growth bounded; none is lost', async () => {
    const logger = [
      "const line = 'x'.repeat(1000);",
      'function main() { for (let i = 0; i < 10 * 1024; i++) console.log(line); return { done: true }; }',
    ].join('\n');
    await ow.actions.create({ name: 'logger', action: logger, limits: { logs: 10 } });
    const before = await settledRss();
    const heapBefore = process.memoryUsage().heapUsed;
    const ids: string[] = [];
    for (let round = 0; round < 20; round++) {
      const pair = await Promise.all([0, 1].map(() => ow.actions.invoke({ name: 'logger', blocking: true })));
      for (const activation of pair) {
        expect(activation.response.result).toEqual({ done: true });
        ids.push(activation.activationId);
      }
      expect(platform!.stats().cachedActivationBytes).toBeLessThanOrEqual(64 * MB);
    }
    const after = await settledRss();
    const heapAfter = process.memoryUsage().heapUsed;
    report('40 activations logging 10 MB each', before, after);
    // Before the byte budget, this test ended with 620 MB more RSS and a heap of 490 MB (now ~140 MB).
    expect(heapAfter - heapBefore).toBeLessThan(120 * MB);
    expect(after - before).toBeLessThan(330 * MB);
    // The first record left memory long ago; it is read back, logs and all, from CouchDB.
    const first = await ow.activations.get({ name: ids[0] });
    expect(first.logs.length).toBeGreaterThan(9000);
    expect(first.response.result).toEqual({ done: true });
  }, SLOW);
});

describe('large action code', () => {
  const size = 47 * MB;
  // The bulk is a comment inside main, whose source text (String(main)) the action measures: the
  // answer shows that every byte arrived, without a second 47 MB string literal in the container.
  const prefix = 'function main() { /*';
  const suffix = '*/ return { length: String(main).length }; }\n';
  const mainLength = size - 1;
  // Made on demand and never kept by the test, whose heap is the platform's.
  const bigAction = () => `${prefix}${'x'.repeat(size - prefix.length - suffix.length)}${suffix}`;
  const digest = createHash('sha256').update(bigAction()).digest('hex');

  test('a 47 MB action is not held in memory, runs, and is served whole when asked for', async () => {
    const before = await settledRss();
    const heapBefore = process.memoryUsage().heapUsed;
    // A container holds the 47 MB source (and its /init body while it loads): more than the default 256 MB limit,
    // which the platform enforces over the container's whole process (as OpenWhisk's invoker does).
    await ow.actions.create({ name: 'big', action: bigAction(), limits: { memory: 512 } });
    const after = await settledRss();
    const heapAfter = process.memoryUsage().heapUsed;
    report('a 47 MB action created', before, after);
    process.stdout.write(`heap ${Math.round(heapBefore / MB)} MB before, ${Math.round(heapAfter / MB)} MB after\n`);
    // The code is on disk: the heap does not hold it (it held it, and more, before).
    expect(heapAfter - heapBefore).toBeLessThan(20 * MB);
    expect(after - before).toBeLessThan(200 * MB);

    expect(await ow.actions.invoke({ name: 'big', blocking: true, result: true })).toEqual({ length: mainLength });
    const code = (await ow.actions.get({ name: 'big' })).exec.code as string;
    expect(code).toHaveLength(size);
    expect(createHash('sha256').update(code).digest('hex')).toBe(digest);
    const withoutCode = await raw(platform!, 'GET', '/api/v1/namespaces/_/actions/big?code=false');
    expect(withoutCode.body.exec).toEqual({ kind: expect.any(String), binary: false });
  }, SLOW);

  test('an update that leaves exec out keeps the code; a restart reads it back from CouchDB', async () => {
    const updated = await raw(platform!, 'PUT', '/api/v1/namespaces/_/actions/big?overwrite=true', { annotations: [{ key: 'note', value: 'kept' }] });
    expect(updated.status).toBe(200);
    expect(updated.body.exec.code).toHaveLength(size);
    await platform!.stop();
    platform = undefined;
    await start();
    const action = await ow.actions.get({ name: 'big' });
    expect(action.exec.code).toHaveLength(size);
    expect(action.annotations).toEqual(expect.arrayContaining([{ key: 'note', value: 'kept' }]));
    expect(await ow.actions.invoke({ name: 'big', blocking: true, result: true })).toEqual({ length: expect.any(Number) });
    const removed = await ow.actions.delete({ name: 'big' });
    expect(removed.exec.code).toHaveLength(size);
  }, SLOW);
});
