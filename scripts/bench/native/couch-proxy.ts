/**
 * A tiny counting HTTP proxy in front of the embedded CouchDB. The platform (entities, activation
 * records) and the whiskflow orchestrator's run store are pointed at it, so every request they make
 * is counted by database and method; the benchmark's own reads go to CouchDB directly and are not.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface CouchCounts {
  total: number;
  byDatabase: Record<string, number>;
  /** `<db> <METHOD>` → count. */
  byDatabaseMethod: Record<string, number>;
  /** Sum of request latencies seen at the proxy (request in → response sent), per database, ms. */
  latencyMsByDatabase: Record<string, number>;
  /** `<db> <METHOD> <kind>` → count, kind being the endpoint (`_bulk_docs`, `_all_docs`, `doc`, …): what each request was for. */
  byKind: Record<string, number>;
}

export interface CountingProxy {
  url: string;
  /** A copy of the counters so far. */
  snapshot(): CouchCounts;
  stop(): Promise<void>;
}

export function diffCounts(after: CouchCounts, before: CouchCounts): CouchCounts {
  const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(
    Object.entries(a).map(([key, value]) => [key, value - (b[key] ?? 0)] as const).filter(([, value]) => value !== 0),
  );
  return {
    total: after.total - before.total, byDatabase: diff(after.byDatabase, before.byDatabase),
    byDatabaseMethod: diff(after.byDatabaseMethod, before.byDatabaseMethod), latencyMsByDatabase: diff(after.latencyMsByDatabase, before.latencyMsByDatabase),
    byKind: diff(after.byKind, before.byKind),
  };
}

/**
 * `routes`: databases served by another CouchDB (name → URL), e.g. the run store on a server of
 * its own, still counted here with the rest.
 */
export async function startCountingProxy(targetUrl: string, routes: Record<string, string> = {}): Promise<CountingProxy> {
  const defaultTarget = new URL(targetUrl);
  const routed = new Map(Object.entries(routes).map(([database, url]) => [database, new URL(url)] as const));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const counts: CouchCounts = { total: 0, byDatabase: {}, byDatabaseMethod: {}, latencyMsByDatabase: {}, byKind: {} };
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    const first = path.split('?')[0]!.split('/')[1] ?? '';
    const database = first === '' ? '/' : decodeURIComponent(first);
    counts.total += 1;
    counts.byDatabase[database] = (counts.byDatabase[database] ?? 0) + 1;
    const key = `${database} ${request.method}`;
    counts.byDatabaseMethod[key] = (counts.byDatabaseMethod[key] ?? 0) + 1;
    const kindKey = `${key} ${requestKind(path)}`;
    counts.byKind[kindKey] = (counts.byKind[kindKey] ?? 0) + 1;
    const started = performance.now();
    response.on('finish', () => {
      counts.latencyMsByDatabase[database] = (counts.latencyMsByDatabase[database] ?? 0) + performance.now() - started;
    });
    const target = routed.get(database) ?? defaultTarget;
    // The embedded CouchDB requires its admin's credentials, carried by its URL: clients of the
    // proxy are given its URL without them.
    const headers = { ...(target.username ? { authorization: basicAuth(target) } : {}), ...request.headers, host: target.host };
    // The body is buffered so that a request can be sent again: pouchdb-server closes idle keep-alive
    // connections after 5 s, and a request written onto such a socket as it closes fails with
    // ECONNRESET without having reached the server (Node's documented case for a retry).
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const send = (retriesLeft: number): void => {
        const upstream = http.request({ hostname: target.hostname, port: target.port, method: request.method, path, headers, agent }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        });
        upstream.on('error', (error: NodeJS.ErrnoException) => {
          if (upstream.reusedSocket && error.code === 'ECONNRESET' && retriesLeft > 0 && !response.headersSent) {
            send(retriesLeft - 1);
            return;
          }
          if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'proxy', reason: error.message }));
        });
        // No Nagle on either hop: a request written as headers + body would otherwise wait for a delayed ACK (~40 ms).
        upstream.on('socket', (socket) => socket.setNoDelay(true));
        upstream.end(body);
      };
      send(3);
    });
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    snapshot: () => ({
      total: counts.total, byDatabase: { ...counts.byDatabase }, byDatabaseMethod: { ...counts.byDatabaseMethod }, latencyMsByDatabase: { ...counts.latencyMsByDatabase }, byKind: { ...counts.byKind },
    }),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      agent.destroy();
    }),
  };
}

/** Median latency of `GET /` (ms) at `url`, to show what the proxy hop adds. */
export async function probeLatency(url: string, samples = 200): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () => new Promise<number>((resolve, reject) => {
    const started = performance.now();
    http.get(`${url}/`, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(performance.now() - started));
    }).on('error', reject);
  });
  try {
    for (let i = 0; i < 10; i += 1) await once();
    const times: number[] = [];
    for (let i = 0; i < samples; i += 1) times.push(await once());
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? Number.NaN;
  } finally {
    agent.destroy();
  }
}

function basicAuth(url: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
}

/**
 * The endpoint a request went to, without ids or query: `_bulk_docs`, `_all_docs`, `_all_docs/queries`, `_changes`,
 * `db` (the database itself), or `doc <kind>` for one document, its kind being the id's first
 * segment (`run`, `stage`, `result`, …: lib/store/run-documents.ts).
 */
export function requestKind(path: string): string {
  const segments = path.split('?')[0]!.split('/').filter(Boolean);
  if (segments.length <= 1) return 'db';
  const endpoint = segments[1]!;
  // Several reads in one request (group commit) are told apart from a single `_all_docs`.
  if (endpoint === '_all_docs' && segments[2] === 'queries') return '_all_docs/queries';
  if (endpoint.startsWith('_') && endpoint !== '_design' && endpoint !== '_local') return endpoint;
  return `doc ${safeDecode(endpoint).split('/')[0]}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
