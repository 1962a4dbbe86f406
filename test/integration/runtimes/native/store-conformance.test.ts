/**
 * The same RunStore contract checked on the in-memory store (used by unit tests) and on the
 * embedded CouchDB (pouchdb-server) through nano and through the Cloudant SDK, so that unit tests
 * on memory mean something for CouchDB and Cloudant.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CloudantRunStore } from '../../../../lib/store/cloudant';
import { CouchDbRunStore } from '../../../../lib/store/couchdb';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../../lib/store/embedded-couch';
import { MemoryRunStore } from '../../../../lib/store/memory';
import type { RunStore, StoreRead, StoredDoc } from '../../../../lib/store/run-store';
import { claim, updateWithRetry } from '../../../../lib/store/claims';
import { createAll, removeAll, replaceAll } from '../../../../lib/store/bulk';

jest.setTimeout(120_000);

let couch: EmbeddedCouch;
let dataDir: string;
let databases = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-store-'));
  couch = await startEmbeddedCouch({ dataDir, port: 0 });
});

afterAll(async () => {
  await couch?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const stores: [string, () => Promise<RunStore>][] = [
  ['memory', async () => new MemoryRunStore()],
  ['couchdb (embedded)', async () => {
    const store = new CouchDbRunStore({ url: couch.url, dbname: `conformance_${++databases}` });
    await store.ensureReady();
    await store.ensureReady(); // idempotent
    return store;
  }],
  // The Cloudant SDK against the same server (Cloudant speaks CouchDB's API, with basic auth here).
  ['cloudant (SDK, embedded CouchDB)', async () => {
    const url = new URL(couch.url);
    const store = new CloudantRunStore({
      url: `${url.protocol}//${url.host}`, dbname: `conformance_${++databases}`,
      username: decodeURIComponent(url.username), password: decodeURIComponent(url.password),
    });
    await store.ensureReady();
    await store.ensureReady();
    return store;
  }],
];

describe.each(stores)('RunStore contract: %s', (_name, open) => {
  it('lets exactly one of 30 concurrent create-only writers win and keeps its body', async () => {
    const store = await open();
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => store.createOnly('claim', { writer: i })));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
    expect((await store.get<{ writer: number }>('claim'))!.writer).toBe(outcomes.indexOf('created'));
  });

  it('ignores _id/_rev copied into a create-only body', async () => {
    const store = await open();
    await store.createOnly('a', { n: 1 });
    const read = (await store.get<{ n: number }>('a'))!;
    expect(await store.createOnly('b', { ...read, n: 2 })).toBe('created');
    expect((await store.get<{ n: number }>('b'))!.n).toBe(2);
  });

  it('detects lost updates and applies concurrent updates through the CAS loop', async () => {
    const store = await open();
    await store.createOnly('counter', { n: 0 });
    const stale = (await store.get<{ n: number }>('counter'))!;
    await store.replace({ ...stale, n: 5 });
    await expect(store.replace({ ...stale, n: 6 })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
    await Promise.all(Array.from({ length: 10 }, () => updateWithRetry<{ n: number }>(store, 'counter', (doc) => ({ ...doc, n: doc.n + 1 }))));
    expect((await store.get<{ n: number }>('counter'))!.n).toBe(15);
  });

  it('lists by prefix in id order with skip, limit and descending, and removes', async () => {
    const store = await open();
    for (const id of ['p/2', 'p/10', 'p/1', 'q/1', 'p']) await store.createOnly(id, { id });
    expect((await store.listByPrefix('p/')).map((r) => r.id)).toEqual(['p/1', 'p/10', 'p/2']);
    expect((await store.listByPrefix('p/', { skip: 1, limit: 1 })).map((r) => r.id)).toEqual(['p/10']);
    expect((await store.listByPrefix('p/', { descending: true, limit: 2 })).map((r) => r.id)).toEqual(['p/2', 'p/10']);
    expect((await store.listByPrefix<{ id: string }>('q/', { includeDocs: true }))[0]!.doc!.id).toBe('q/1');
    expect(await store.remove('p/1')).toBe(true);
    expect(await store.remove('p/1')).toBe(false);
    expect(await store.get('p/1')).toBeUndefined();
  });

  it('hands every concurrent claimer the winner\'s document', async () => {
    const store = await open();
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => claim(store, 'stage/x/0001', { by: i })));
    expect(claims.filter((c) => c.won)).toHaveLength(1);
    expect(new Set(claims.map((c) => c.doc.by)).size).toBe(1);
  });

  it('creates in bulk with create-only semantics per document, racing single creates', async () => {
    const store = await open();
    expect(store.createMany).toBeDefined();
    await store.createOnly('bulk/taken', { by: 'single' });
    const [taken, fresh] = await createAll(store, [{ id: 'bulk/taken', body: { by: 'bulk' } }, { id: 'bulk/fresh', body: { by: 'bulk', _id: 'x', _rev: '1-x' } }]);
    expect(taken).toEqual({ id: 'bulk/taken', outcome: 'exists' });
    expect(fresh).toMatchObject({ id: 'bulk/fresh', outcome: 'created' });
    expect((await store.get<{ by: string }>('bulk/taken'))!.by).toBe('single');
    const stored = (await store.get<{ by: string }>('bulk/fresh'))!;
    expect(stored.by).toBe('bulk');
    expect(fresh!.outcome === 'created' && fresh!.rev).toBe(stored._rev);
    // 10 bulk writers and 10 single writers race for the same 5 ids: each id has exactly one winner.
    const ids = Array.from({ length: 5 }, (_, i) => `race/${i}`);
    const bulks = Array.from({ length: 10 }, (_, writer) => createAll(store, ids.map((id) => ({ id, body: { writer } }))));
    const singles = Array.from({ length: 10 }, (_, writer) => Promise.all(ids.map((id) => store.createOnly(id, { writer: 100 + writer }))));
    const [bulkOutcomes, singleOutcomes] = await Promise.all([Promise.all(bulks), Promise.all(singles)]);
    for (const [position, id] of ids.entries()) {
      const winners = bulkOutcomes.filter((outcomes) => outcomes[position]!.outcome === 'created').length
        + singleOutcomes.filter((outcomes) => outcomes[position] === 'created').length;
      expect(winners).toBe(1);
      const writer = (await store.get<{ writer: number }>(id))!.writer;
      const bulkWinner = bulkOutcomes.findIndex((outcomes) => outcomes[position]!.outcome === 'created');
      expect(writer).toBe(bulkWinner >= 0 ? bulkWinner : 100 + singleOutcomes.findIndex((outcomes) => outcomes[position] === 'created'));
    }
  });

  it('replaces in bulk with the revisions a bulk create returned, reporting conflicts per document', async () => {
    const store = await open();
    const created = await createAll(store, [{ id: 'r/a', body: { n: 0 } }, { id: 'r/b', body: { n: 0 } }]);
    const revs = created.map((outcome) => (outcome.outcome === 'created' ? outcome.rev : ''));
    const b = (await store.get<{ n: number }>('r/b'))!;
    await store.replace({ ...b, n: 5 }); // r/b moves on: the bulk's revision for it is stale
    const outcomes = await replaceAll(store, [{ _id: 'r/a', _rev: revs[0]!, n: 1 }, { _id: 'r/b', _rev: revs[1]!, n: 1 }] as StoredDoc<{ n: number }>[]);
    expect(outcomes[0]).toMatchObject({ id: 'r/a', rev: expect.any(String) });
    expect(outcomes[1]).toEqual({ id: 'r/b', conflict: true });
    expect((await store.get<{ n: number }>('r/a'))!.n).toBe(1);
    expect((await store.get<{ n: number }>('r/b'))!.n).toBe(5);
  });

  it('lists the revisions of existing documents only (missing and deleted ids are absent)', async () => {
    const store = await open();
    await store.createOnly('v/live', { n: 1 });
    await store.createOnly('v/gone', { n: 1 });
    await store.remove('v/gone');
    const revisions = await store.revisions!(['v/live', 'v/gone', 'v/never']);
    expect([...revisions.keys()]).toEqual(['v/live']);
    expect(revisions.get('v/live')).toBe((await store.get('v/live'))!._rev);
  });

  it('reads the documents of several ids in one request (missing and deleted ids are absent), after a bulk create', async () => {
    const store = await open();
    await createAll(store, [{ id: 'result/r/1', body: { n: 1 } }, { id: 'stage/r/2', body: { s: 2 } }, { id: 'g/gone', body: {} }]);
    await store.remove('g/gone');
    const docs = await store.getMany!<{ n?: number; s?: number }>(['result/r/1', 'result/r/0', 'g/gone', 'stage/r/2']);
    expect([...docs.keys()].sort()).toEqual(['result/r/1', 'stage/r/2']);
    expect(docs.get('result/r/1')).toEqual(await store.get('result/r/1'));
    expect(docs.get('stage/r/2')!.s).toBe(2);
    expect((await store.getMany!(['never'])).size).toBe(0);
  });

  it('answers several reads in one request as each would be answered on its own', async () => {
    const store = await open();
    await createAll(store, ['q/a/1', 'q/a/2', 'q/a/3', 'q/b/1', 'stage/q/1'].map((id) => ({ id, body: { id } })));
    await store.createOnly('q/a/gone', {});
    await store.remove('q/a/gone');
    const reads: StoreRead[] = [
      { kind: 'list', prefix: 'q/a/', options: {} },
      { kind: 'list', prefix: 'q/a/', options: { includeDocs: true, descending: true } },
      // The join's check that a bucket is full: only its last row.
      { kind: 'list', prefix: 'q/a/', options: { skip: 2, limit: 1 } },
      { kind: 'list', prefix: 'q/a/', options: { skip: 3, limit: 1 } },
      { kind: 'list', prefix: 'q/a/', options: { startKey: 'q/a/2', endKey: 'q/a/3' } },
      { kind: 'revisions', ids: ['stage/q/1', 'stage/q/2', 'q/a/gone'] },
      { kind: 'docs', ids: ['q/b/1', 'q/never', 'q/a/gone'] },
    ];
    const answers = await store.readMany!(reads);
    expect(answers).toEqual([
      { kind: 'list', rows: await store.listByPrefix('q/a/') },
      { kind: 'list', rows: await store.listByPrefix('q/a/', { includeDocs: true, descending: true }) },
      { kind: 'list', rows: [{ id: 'q/a/3' }] },
      { kind: 'list', rows: [] },
      { kind: 'list', rows: [{ id: 'q/a/2' }] },
      { kind: 'revisions', revisions: await store.revisions!(['stage/q/1', 'stage/q/2', 'q/a/gone']) },
      { kind: 'docs', docs: await store.getMany!(['q/b/1', 'q/never', 'q/a/gone']) },
    ]);
    expect((answers[5] as { revisions: Map<string, string> }).revisions.size).toBe(1);
    expect((answers[6] as { docs: Map<string, object> }).docs.size).toBe(1);
  });

  it('removes in bulk whatever the revision; missing and already deleted ids count for nothing', async () => {
    const store = await open();
    expect(store.removeMany).toBeDefined();
    await createAll(store, ['d/1', 'd/2', 'd/3', 'd/kept'].map((id) => ({ id, body: { id } })));
    const two = (await store.get<{ id: string }>('d/2'))!;
    await store.replace({ ...two, changed: true }); // a later revision is deleted too
    await store.remove('d/3');
    expect(await removeAll(store, ['d/1', 'd/2', 'd/3', 'd/never'])).toBe(2);
    expect((await store.listByPrefix('d/')).map((row) => row.id)).toEqual(['d/kept']);
    expect(await removeAll(store, [])).toBe(0);
    // A deleted id can be created again (a chunk of the same content written later).
    expect(await store.createOnly('d/1', { again: true })).toBe('created');
  });
});
