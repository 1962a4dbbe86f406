/**
 * Starts the local platform for a test suite: API and embedded CouchDB on free ports, data in a fresh
 * temp directory (removed by `stop()` unless the caller passed its own `dataDir`, e.g. to test a restart).
 * The action runtime runs the compiled proxy from dist/: run `npx tsc -p tsconfig.build.json` first.
 * `usePlatform` does it for a whole suite, with the official client bound to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { type HttpRoute, PlatformOptions, PlatformStats, startPlatform } from '../../lib/platform';

export interface LocalPlatform {
  apihost: string;
  auth: string;
  namespace: string;
  couchUrl: string;
  dataDir: string;
  stats(): PlatformStats;
  /** Serves a route next to the API (the dashboard); returns its removal. */
  addRoute(route: HttpRoute): () => void;
  stop(): Promise<void>;
}

export async function startLocalPlatform(options: PlatformOptions = {}): Promise<LocalPlatform> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'whiskflow-platform-'));
  const platform = await startPlatform({ runtime: { maxContainers: 8 }, ...options, port: options.port ?? 0, dataDir });
  return {
    apihost: platform.apihost,
    auth: platform.auth,
    namespace: platform.namespace,
    couchUrl: platform.couchUrl,
    dataDir,
    stats: () => platform.stats(),
    addRoute: (route) => platform.addRoute(route),
    stop: async () => {
      try {
        await platform.stop();
      } finally {
        if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** The platform of a suite and the official client bound to it. */
export interface SuitePlatform {
  platform: LocalPlatform;
  // The client's typings leave out parts of its API (feeds.get, ...) that the suites use.
  ow: any;
}

/**
 * Starts a platform before the suite's first test (in a beforeAll registered here, so before the
 * suite's own) and stops it after the last. The returned objects stand for the platform and its
 * client from then on: reading them before the hook ran throws.
 */
export function usePlatform(options: PlatformOptions = {}): SuitePlatform {
  let started: SuitePlatform | undefined;
  beforeAll(async () => {
    const platform = await startLocalPlatform(options);
    started = { platform, ow: clientFor(platform) };
  });
  afterAll(async () => {
    await started?.platform.stop();
  });
  const current = (): SuitePlatform => {
    if (!started) throw new Error('the suite platform is used before its beforeAll hook ran');
    return started;
  };
  return { platform: deferred(() => current().platform), ow: deferred(() => current().ow as object) };
}

/** An object that forwards every property read to the one `get` returns at that moment. */
function deferred<T extends object>(get: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => {
      const target = get();
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function clientFor(platform: Pick<LocalPlatform, 'apihost' | 'auth'>, auth = platform.auth): openwhisk.Client {
  return openwhisk({ apihost: platform.apihost, api_key: auth });
}
