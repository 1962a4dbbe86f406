/**
 * `POST /{db}/_all_docs/queries` (CouchDB 2.2+) on the embedded CouchDB, as a CouchDB client sends
 * it (plain HTTP with the admin's basic auth), and the CouchDB store's fallback to a request per
 * read on a server without the endpoint (CouchDB before 2.2, another pouchdb-server), found through
 * a proxy that answers the endpoint as such a server does.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startEmbeddedCouch, requestTarget, type EmbeddedCouch } from '../../../lib/store/embedded-couch';
import { CouchDbRunStore } from '../../../lib/store/couchdb';
import { createAll } from '../../../lib/store/bulk';
import type { StoreRead } from '../../../lib/store/run-store';

jest.setTimeout(60_000);

let couch: EmbeddedCouch;
let dataDir: string;
let base: string;
let auth: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-queries-'));
  couch = await startEmbeddedCouch({ dataDir, port: 0 });
  const target = requestTarget(couch.url);
  base = target.url.replace(/\/$/, '');
  auth = target.headers;
  const store = new CouchDbRunStore({ url: couch.url, dbname: 'queries' });
  await store.ensureReady();
  await createAll(store, ['k/1', 'k/2', 'k/3'].map((id) => ({ id, body: { id } })));
  await store.createOnly('k/gone', {});
  await store.remove('k/gone');
});

afterAll(async () => {
  await couch?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = auth): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: await response.json() as Record<string, unknown> };
}

async function allDocs(query: Record<string, unknown>): Promise<unknown> {
  return (await post('/queries/_all_docs', query)).body;
}

describe('POST /{db}/_all_docs/queries on the embedded CouchDB', () => {
  it('answers each query as its own _all_docs request, in order', async () => {
    const queries = [
      { startkey: 'k/', endkey: 'k/\ufff0', include_docs: true },
      { startkey: 'k/', endkey: 'k/\ufff0', skip: 2, limit: 1 },
      { startkey: 'k/\ufff0', endkey: 'k/', descending: true },
      { keys: ['k/1', 'k/never', 'k/gone'] },
      { keys: ['k/3'], include_docs: true },
    ];
    const answer = await post('/queries/_all_docs/queries', { queries });
    expect(answer.status).toBe(200);
    const results = answer.body.results as unknown[];
    expect(results).toEqual(await Promise.all(queries.map(allDocs)));
    expect((results[1] as { rows: { id: string }[] }).rows.map((row) => row.id)).toEqual(['k/3']);
  });

  it('answers what CouchDB answers for a body without queries, a missing database and a caller without credentials', async () => {
    expect(await post('/queries/_all_docs/queries', { keys: ['k/1'] })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(await post('/queries/_all_docs/queries', '{not json')).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(await post('/queries/_all_docs/queries', { queries: [{ keys: 'k/1' }] })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(await post('/nowhere/_all_docs/queries', { queries: [{}] })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await post('/queries/_all_docs/queries', { queries: [{}] }, {})).status).toBe(401);
    // The missing database was not created by asking.
    expect((await fetch(`${base}/nowhere`, { headers: auth })).status).toBe(404);
  });

  it('answers 404 for a database deleted after it was queried, and does not bring it back', async () => {
    const store = new CouchDbRunStore({ url: couch.url, dbname: 'brief' });
    await store.ensureReady();
    await store.createOnly('k/1', {});
    expect((await post('/brief/_all_docs/queries', { queries: [{ keys: ['k/1'] }] })).status).toBe(200);
    expect((await fetch(`${base}/brief`, { method: 'DELETE', headers: auth })).status).toBe(200);
    expect(await post('/brief/_all_docs/queries', { queries: [{ keys: ['k/1'] }] })).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect((await fetch(`${base}/brief`, { headers: auth })).status).toBe(404);
    // Created again, it is found again.
    await store.ensureReady();
    expect((await post('/brief/_all_docs/queries', { queries: [{ keys: ['k/1'] }] })).body).toMatchObject({ results: [{ rows: [{ key: 'k/1', error: 'not_found' }] }] });
  });
});

describe('CouchDbRunStore.readMany', () => {
  const reads: StoreRead[] = [
    { kind: 'list', prefix: 'k/', options: { skip: 2, limit: 1 } },
    { kind: 'revisions', ids: ['k/2', 'k/gone'] },
    { kind: 'docs', ids: ['k/1', 'k/never'] },
  ];

  it('sends one request and answers each read as on its own', async () => {
    const { proxy, seen } = await refusingProxy(false);
    try {
      const store = new CouchDbRunStore({ url: proxy, dbname: 'queries' });
      const answers = await store.readMany(reads);
      expect(seen.filter((line) => line.includes('/_all_docs'))).toEqual(['POST /queries/_all_docs/queries']);
      expect(answers).toEqual([
        { kind: 'list', rows: await store.listByPrefix('k/', { skip: 2, limit: 1 }) },
        { kind: 'revisions', revisions: await store.revisions(['k/2', 'k/gone']) },
        { kind: 'docs', docs: await store.getMany(['k/1', 'k/never']) },
      ]);
    } finally {
      await closeProxy();
    }
  });

  it('falls back to a request per read on a server without the endpoint, and asks it only once', async () => {
    const { proxy, seen } = await refusingProxy(true);
    try {
      const store = new CouchDbRunStore({ url: proxy, dbname: 'queries' });
      const direct = new CouchDbRunStore({ url: couch.url, dbname: 'queries' });
      expect(await store.readMany(reads)).toEqual(await direct.readMany(reads));
      await store.readMany(reads);
      expect(seen.filter((line) => line.endsWith('/_all_docs/queries'))).toHaveLength(1);
      expect(seen.filter((line) => line.startsWith('GET /queries/_all_docs') || line === 'POST /queries/_all_docs')).toHaveLength(6);
    } finally {
      await closeProxy();
    }
  });

  it('fails as its reads would on a missing database, without giving up the endpoint', async () => {
    const store = new CouchDbRunStore({ url: couch.url, dbname: 'nowhere' });
    await expect(store.readMany(reads)).rejects.toThrow(/HTTP 404/);
  });
});

let server: http.Server | undefined;

/**
 * A proxy to the embedded CouchDB that records each request's method and path; with `refuse`, it
 * answers `_all_docs/queries` as pouchdb-server 4.2 and CouchDB 1.x do (`_all_docs` taken for a
 * document id: 400).
 */
async function refusingProxy(refuse: boolean): Promise<{ proxy: string; seen: string[] }> {
  const seen: string[] = [];
  const target = new URL(base);
  server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push(`${req.method} ${path}`);
    if (refuse && path.endsWith('/_all_docs/queries')) {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad_request', reason: 'Only reserved document ids may start with underscore.' }));
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, ...auth, host: target.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { proxy: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function closeProxy(): Promise<void> {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  server = undefined;
}
