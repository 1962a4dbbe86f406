/**
 * Mounts the dashboard on a running local platform: the run store in the platform's CouchDB, the
 * platform's API for activations, rules and feeds, and CouchDB's `update_seq` for the live stream.
 */
import nano from 'nano';
import openwhisk from 'openwhisk';
import type { RunStore } from '../store/run-store';
import type { PlatformReader } from './data';
import { createDashboardHandler, DASHBOARD_PREFIX } from './handler';
import { mountDashboard, type MountOptions } from './mount';
import { StoreWatch, type ChangedDoc } from './store-watch';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface HostPlatform {
  apihost: string;
  auth: string;
  addRoute(route: (incoming: IncomingMessage, response: ServerResponse) => boolean): () => void;
}

export interface StartedDashboard {
  /** `http://host:port/dashboard` */
  url: string;
  runUrl(runId: string): string;
  workflowUrl(name: string): string;
  stop(): void;
}

export function startDashboard(options: {
  platform: HostPlatform;
  store: RunStore;
  couchUrl: string;
  dbname: string;
  assetsDir?: string;
  pollMs?: MountOptions['pollMs'];
  log?: (message: string) => void;
}): StartedDashboard {
  const reader = openwhisk({ apihost: options.platform.apihost, api_key: options.platform.auth }) as unknown as PlatformReader;
  const db = nano(options.couchUrl).db;
  const watch = new StoreWatch(async (since, limit) => {
    if (since === undefined) return { results: [], lastSeq: String((await db.get(options.dbname)).update_seq) };
    const changes = await db.use(options.dbname).changes({ since, include_docs: true, limit });
    return { results: changes.results as unknown as ChangedDoc[], lastSeq: String(changes.last_seq) };
  });
  const handler = createDashboardHandler({ store: options.store, platform: reader, liveEvents: true, watch, ...(options.assetsDir ? { assetsDir: options.assetsDir } : {}) });
  const mounted = mountDashboard({
    handler,
    // The stream's signal is the store's update sequence (a cheap read of the database's info); the
    // changes themselves, documents included, are read only when a page reads (handler.ts), at most
    // once per page read: a `_changes` read costs the embedded CouchDB a few times more, and the runs
    // it serves need it.
    version: async () => String((await db.get(options.dbname)).update_seq),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const unmount = options.platform.addRoute((incoming, response) => mounted.route(incoming, response));
  const url = `${options.platform.apihost}${DASHBOARD_PREFIX}`;
  return {
    url,
    runUrl: (runId) => `${url}/runs/${encodeURIComponent(runId)}`,
    workflowUrl: (name) => `${url}/workflows/${encodeURIComponent(name)}`,
    stop: () => {
      unmount();
      mounted.close();
    },
  };
}
