/**
 * The dashboard's server side as one request -> response function: no server, no sockets. The
 * local platform mounts it (mount.ts); the same function can answer as an OpenWhisk web action
 * (`__ow_method`, `__ow_path`, `__ow_headers` in, `{ statusCode, headers, body }` out). Answers
 * `undefined` for paths that are not the dashboard's, so the platform's own API answers them.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { LruMap } from '../core/lru-map';
import type { RunStore } from '../store/run-store';
import { newestRuns, runsPage, taskDetail, workflowNames, workflowPage, type PlatformReader } from './data';
import { MAX_BARS_PAGE, runBars, runSummary } from './run-summary';
import { pageHtml } from './page-html';
import { StoreCopies } from './store-copies';
import type { StoreWatch } from './store-watch';

export const DASHBOARD_PREFIX = '/dashboard';

export interface DashboardRequest {
  method: string;
  /** The path without the query, e.g. `/dashboard/runs/abc`. */
  path: string;
  query: URLSearchParams;
  /** The `Accept` header. */
  accept?: string;
}

export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface DashboardOptions {
  store: RunStore;
  /** Activations, rules and feeds (task details, workflow pages); without it those parts stay empty. */
  platform?: PlatformReader;
  /** Directory of the browser bundle (`app.js`); by default dist/dashboard of this installation. */
  assetsDir?: string;
  /**
   * The URL path the browser sees the dashboard at, for the page's links and assets: `/dashboard`
   * (the default) when the platform mounts it, the web action's URL when it answers as one
   * (web-action.ts). Requests reach the handler with `/dashboard` paths either way.
   */
  basePath?: string;
  /** The bundle's files by name, when they travel inside an action bundle rather than on disk. */
  assets?: Readonly<Record<string, string>>;
  /** Whether a live stream (`/dashboard/events`) is served next to this handler: the page then uses it rather than polling. */
  liveEvents?: boolean;
  /**
   * The store's changes feed, where one is followed (the local platform): run heads and the records
   * of runs looked at are then kept in memory and read again only where they changed.
   */
  watch?: StoreWatch;
}

export type DashboardHandler = (request: DashboardRequest) => Promise<DashboardResponse | undefined>;

/** Whether a client asked for HTML before JSON (a browser), by the `Accept` header's q-values. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const quality = (type: string): number => {
    for (const part of accept.split(',')) {
      const [media, ...params] = part.trim().split(';');
      if (media?.trim().toLowerCase() !== type) continue;
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
      return q ? Number(q[1]) : 1;
    }
    return 0;
  };
  const html = quality('text/html');
  return html > 0 && html >= quality('application/json');
}

export function defaultAssetsDir(): string {
  // Compiled: dist/lib/dashboard -> dist/dashboard; from the sources (tests): lib/dashboard -> dist/dashboard.
  const candidates = [path.join(__dirname, '../../dashboard'), path.join(__dirname, '../../dist/dashboard')];
  return candidates.find((dir) => existsSync(path.join(dir, 'app.js'))) ?? candidates[1]!;
}

const json = (status: number, body: unknown): DashboardResponse => ({
  status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body),
});
const notFound = (what: string): DashboardResponse => json(404, { error: `${what} not found` });

export function createDashboardHandler(options: DashboardOptions): DashboardHandler {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const finished = new LruMap<string>(FINISHED_PAGES);
  const settledBars = new LruMap<string>(SETTLED_BAR_PAGES);
  const current = new LruMap<Promise<DashboardResponse>>(FINISHED_PAGES);
  const copies = options.watch ? new StoreCopies(options.store, options.watch) : undefined;
  /** The store pages are read from: the copies, caught up with the store, when the feed is followed. */
  const reader = async (): Promise<RunStore> => {
    if (!copies || !options.watch) return options.store;
    await options.watch.catchUp();
    return copies.store();
  };
  const page = (): DashboardResponse => ({
    status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: pageHtml({ live: options.liveEvents === true, base: options.basePath ?? DASHBOARD_PREFIX }),
  });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    if (request.path === '/') return prefersHtml(request.accept) ? page() : undefined;
    if (request.path !== DASHBOARD_PREFIX && !request.path.startsWith(`${DASHBOARD_PREFIX}/`)) return undefined;
    const segments = request.path.slice(DASHBOARD_PREFIX.length).split('/').filter(Boolean).map(decode);
    const [first, ...rest] = segments;
    if (first === 'assets') return options.assets ? inlineAsset(options.assets, rest.join('/')) : asset(assetsDir, rest.join('/'));
    if (first !== 'api') return page();
    return api(options, { finished, settledBars, current, reader, copies }, rest, request.query);
  };
}

/** Summaries of finished runs: they no longer change. */
const FINISHED_PAGES = 16;
/** Pages of bars whose tasks all ended (a few KB each): a wide map's timeline drawn again reads none of them. */
const SETTLED_BAR_PAGES = 256;

interface Readers { finished: LruMap<string>; settledBars: LruMap<string>; current: LruMap<Promise<DashboardResponse>>; reader: () => Promise<RunStore>; copies: StoreCopies | undefined }

async function api(options: DashboardOptions, { finished, settledBars, current, reader, copies }: Readers, segments: string[], query: URLSearchParams): Promise<DashboardResponse> {
  const { store, platform } = options;
  const [resource, id, sub, position, index] = segments;
  if (resource === 'runs' && id === undefined) {
    const number = (name: string): number | undefined => {
      const value = query.get(name);
      return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
    };
    const status = query.get('status') || undefined;
    if (status && !['running', 'succeeded', 'failed', 'cancelled'].includes(status)) return json(400, { error: `status '${status}' is not one of running, succeeded, failed, cancelled` });
    const [offset, limit] = [number('offset'), number('limit')];
    const filtered = Boolean(query.get('workflow') || status || query.get('q'));
    const paging = { ...(offset !== undefined ? { offset } : {}), ...(limit !== undefined ? { limit: Math.min(limit, 10_000) } : {}) };
    // The first look at the runs page: its first screenful from the newest heads while all heads are copied.
    if (copies && !filtered && !copies.headsReady()) {
      copies.warmHeads();
      return json(200, await newestRuns(store, paging));
    }
    const source = await reader();
    // Every page open on the list asks after each change: one answer per query and store version serves them all.
    const key = options.watch?.version !== undefined ? `list?${query.toString()}@${options.watch.version}` : undefined;
    const shared = key ? current.get(key) : undefined;
    if (shared) return shared;
    const listed = runsPage(source, {
      ...(query.get('workflow') ? { workflow: query.get('workflow')! } : {}), ...(status ? { status } : {}),
      ...(query.get('q') ? { search: query.get('q')! } : {}), ...paging,
    }).then((found) => json(200, found));
    if (key) {
      current.set(key, listed);
      listed.catch(() => current.delete(key));
    }
    return listed;
  }
  if (resource === 'runs' && id && sub === undefined) {
    const cached = finished.get(id);
    if (cached) return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: cached };
    const source = await reader();
    // Pages open on a running run all ask after each change: one assembly per store version serves them all.
    const key = options.watch?.version !== undefined ? `${id}@${options.watch.version}` : undefined;
    const shared = key ? current.get(key) : undefined;
    if (shared) return shared;
    const assembled = (async (): Promise<DashboardResponse> => {
      const found = await runSummary(source, id);
      if (!found) return notFound(`run ${id}`);
      const answer = json(200, found);
      const settled = found.run.status !== 'running' && !Object.values(found.state?.nodes ?? {}).some((node) => node.status === 'running');
      if (settled) finished.set(id, answer.body as string);
      // A running run's page asks again after every change: its records are then followed from memory
      // (copied once, in the background: this answer does not wait for it).
      else if (copies && !copies.runCopied(id)) copies.copyRun(id).catch(() => undefined);
      return answer;
    })();
    if (key) {
      current.set(key, assembled);
      assembled.catch(() => current.delete(key));
    }
    return assembled;
  }
  if (resource === 'runs' && id && sub === 'bars') {
    const [positionText = '', fromText = '', countText = ''] = ['position', 'from', 'count'].map((name) => query.get(name) ?? '');
    if (![positionText, fromText, countText].every((value) => /^\d+$/.test(value)) || Number(countText) < 1 || Number(countText) > MAX_BARS_PAGE) {
      return json(400, { error: `a page of bars is named by ?position=<stage position>&from=<first task>&count=<tasks, 1 to ${MAX_BARS_PAGE}>` });
    }
    const pageKey = `${id}/${positionText}/${fromText}/${countText}`;
    const cached = settledBars.get(pageKey);
    if (cached) return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: cached };
    const found = await runBars(await reader(), id, Number(positionText), Number(fromText), Number(countText));
    if (!found) return notFound(`stage ${positionText} of run ${id}`);
    const answer = json(200, found);
    if (found.settled) settledBars.set(pageKey, answer.body as string);
    return answer;
  }
  if (resource === 'runs' && id && sub === 'tasks' && position !== undefined && index !== undefined) {
    if (!/^\d+$/.test(position) || !/^\d+$/.test(index)) return json(400, { error: 'a task is named by two numbers: /tasks/<position>/<index>' });
    return (await taskDetail(store, platform, id, Number(position), Number(index)).then((found) => found && json(200, found))) ?? notFound(`task ${position}/${index} of run ${id}`);
  }
  if (resource === 'workflows' && id === undefined) return json(200, { workflows: await workflowNames(store) });
  if (resource === 'workflows' && id) return (await workflowPage(await reader(), platform, id).then((found) => found && json(200, found))) ?? notFound(`workflow ${id}`);
  return notFound(`/dashboard/api/${segments.join('/')}`);
}

const ASSET_TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.map': 'application/json' };

async function asset(dir: string, name: string): Promise<DashboardResponse> {
  // Only plain file names of the bundle's directory: no way out of it.
  if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return notFound(`asset ${name}`);
  try {
    const body = await readFile(path.join(dir, name));
    return { status: 200, headers: { 'content-type': ASSET_TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }, body };
  } catch {
    return notFound(`asset ${name} (is the dashboard bundle built? npm run build)`);
  }
}

function inlineAsset(assets: Readonly<Record<string, string>>, name: string): DashboardResponse {
  const body = Object.hasOwn(assets, name) ? assets[name] : undefined;
  if (body === undefined) return notFound(`asset ${name}`);
  return { status: 200, headers: { 'content-type': ASSET_TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }, body };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
