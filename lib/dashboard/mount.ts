/**
 * The dashboard on a node:http server (the local platform's, through its route hook): the
 * request -> response handler, plus the live stream `/dashboard/events` (server-sent events), which
 * a request -> response function cannot serve. The stream says `change` whenever the run store's
 * update sequence moved; pages then read what they show again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DASHBOARD_PREFIX, prefersHtml, type DashboardHandler } from './handler';

export const EVENTS_PATH = `${DASHBOARD_PREFIX}/events`;

export interface MountOptions {
  handler: DashboardHandler;
  /** Changes whenever the run store changed (CouchDB's `update_seq`). */
  version: () => Promise<string>;
  /** How often the version is read while someone listens. @default 500 */
  pollMs?: number;
  log?: (message: string) => void;
}

export interface MountedDashboard {
  /** Answers the request (true) or leaves it to the server's other routes (false). */
  route(incoming: IncomingMessage, response: ServerResponse): boolean;
  /** Ends the live streams. */
  close(): void;
}

export function mountDashboard(options: MountOptions): MountedDashboard {
  const listeners = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  let polling = false;
  const pollMs = options.pollMs ?? 500;

  // One reader of the version for all listeners, running only while there are any.
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const version = await options.version();
      if (version !== last) {
        last = version;
        for (const listener of listeners) listener.write(`event: change\ndata: ${JSON.stringify(version)}\n\n`);
      }
    } catch (error) {
      options.log?.(`dashboard: reading the store's version: ${(error as Error).message}`);
    } finally {
      polling = false;
    }
  };
  const listen = (response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(`retry: 2000\n\n`);
    if (last !== undefined) response.write(`event: change\ndata: ${JSON.stringify(last)}\n\n`);
    listeners.add(response);
    timer ??= setInterval(() => void poll(), pollMs);
    response.on('close', () => {
      listeners.delete(response);
      if (listeners.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    });
  };

  return {
    route(incoming, response) {
      const url = new URL(incoming.url ?? '/', 'http://localhost');
      if (incoming.method === 'GET' && url.pathname === EVENTS_PATH) {
        listen(response);
        return true;
      }
      const isOurs = url.pathname === '/' || url.pathname === DASHBOARD_PREFIX || url.pathname.startsWith(`${DASHBOARD_PREFIX}/`);
      if (!isOurs || (incoming.method !== 'GET' && incoming.method !== 'HEAD')) return false;
      const accept = incoming.headers.accept;
      // `GET /` stays the platform's JSON for API clients: only a browser's request is taken.
      if (url.pathname === '/' && !prefersHtml(accept)) return false;
      options.handler({ method: incoming.method, path: url.pathname, query: url.searchParams, ...(accept ? { accept } : {}) }).then((answer) => {
        if (!answer) {
          response.writeHead(404, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'not found' }));
          return;
        }
        response.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
        response.end(incoming.method === 'HEAD' ? undefined : answer.body);
      }, (error: unknown) => {
        options.log?.(`dashboard: ${incoming.method} ${url.pathname} failed: ${(error as Error).stack ?? String(error)}`);
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'the dashboard could not read the run store' }));
      });
      return true;
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const listener of listeners) listener.end();
      listeners.clear();
    },
  };
}
