/**
 * The run store's HTTP client for CouchDB's document API, over `node:http`/`node:https` with one
 * kept-alive agent.
 *
 * Why not nano, which the platform's own stores use: nano 11 sends every request through the global
 * `fetch`, and in a fresh Node process the first `fetch` loads undici, ~45 ms on this machine
 * against ~7 ms for the first `node:http` request. Later requests on cold code cost ~2 ms against
 * ~1.4 ms (fresh `node --max-old-space-size=256` processes, 40 reads 5 ms apart; warm, in a busy
 * process, the two are within 0.1 ms). The run store is what whiskflow's actions open in every new
 * container, and the orchestrator's activations are too rare to warm anything, so its client's cold
 * cost is paid by run starts, cold conductors and every orchestrator activation
 * (docs/benchmarks.md, 2026-12-08).
 *
 * Errors keep nano's shape, which the store reads: an answered request fails with a
 * `CouchHttpError` carrying `statusCode`, CouchDB's `error` and `reason`; a request that got no
 * answer fails with a `CouchConnectionError` (connection-retry.ts sends it again).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** CouchDB's answer with an HTTP error status. */
export class CouchHttpError extends Error {
  constructor(readonly statusCode: number, readonly error: string, readonly reason: string, readonly request: string) {
    super(`${request}: ${reason || error || `HTTP ${statusCode}`}`);
    this.name = 'CouchHttpError';
  }
}

/** No answer: refused, reset, or the connection closed before the response was complete. */
export class CouchConnectionError extends Error {
  constructor(readonly request: string, cause: unknown) {
    super(`${request}: no answer from the server (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'CouchConnectionError';
  }
}

/** `_all_docs` parameters CouchDB reads as JSON; the others are sent as their plain text. */
const JSON_PARAMS = new Set(['key', 'keys', 'startkey', 'endkey', 'start_key', 'end_key']);

export type QueryParams = Record<string, string | number | boolean | readonly unknown[] | undefined>;

export class CouchHttp {
  /** The server URL without credentials, ending in `/`: each request's path is appended to it. */
  private readonly prefix: string;
  private readonly agent: HttpAgent;
  private readonly authorization: string | undefined;
  private readonly send: typeof httpRequest;

  /** `url`: the server's, credentials may be embedded (`http://user:pass@host:5984`). */
  constructor(url: string) {
    const parsed = new URL(url);
    this.authorization = parsed.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`
      : undefined;
    parsed.username = '';
    parsed.password = '';
    this.prefix = parsed.href.replace(/\/?$/, '/');
    const https = parsed.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
  }

  /**
   * `path` is relative to the server URL, its segments already encoded (see `docPath`); resolves
   * with the parsed JSON answer of a 2xx.
   */
  request<T>(method: string, path: string, options: { query?: QueryParams; body?: unknown } = {}): Promise<T> {
    const target = new URL(this.prefix + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, JSON_PARAMS.has(name) ? JSON.stringify(value) : String(value));
    }
    const label = `${method} ${target.pathname}`;
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (this.authorization) headers.authorization = this.authorization;
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    return new Promise<T>((resolve, reject) => {
      const req = this.send(target, { method, headers, agent: this.agent }, (res) => {
        readBody(res).then((text) => {
          const status = res.statusCode ?? 0;
          const parsed = parseJson(text);
          if (status >= 200 && status < 300) {
            if (parsed === undefined) reject(new CouchHttpError(status, 'bad_response', `the answer is not JSON: ${text.slice(0, 80)}`, label));
            else resolve(parsed as T);
            return;
          }
          const answer = (parsed ?? {}) as { error?: unknown; reason?: unknown };
          reject(new CouchHttpError(status, String(answer.error ?? ''), String(answer.reason ?? ''), label));
        }, (error: unknown) => reject(new CouchConnectionError(label, error)));
      });
      req.on('error', (error) => reject(new CouchConnectionError(label, error)));
      req.end(body);
    });
  }

  /** Closes the kept-alive connections (a process that is done with the store). */
  close(): void {
    this.agent.destroy();
  }
}

/** The path of a document: its id is one segment, so `/` in an id is encoded. */
export const docPath = (db: string, id: string): string => `${encodeURIComponent(db)}/${encodeURIComponent(id)}`;

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // The connection closed before the answer was complete: that is no answer.
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
    });
    res.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
