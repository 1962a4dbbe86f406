/**
 * Starts the local platform for a test suite: API and embedded CouchDB on free ports, data in a fresh
 * temp directory (removed by `stop()` unless the caller passed its own `dataDir`, e.g. to test a restart).
 * The action runtime runs the compiled proxy from dist/: run `npx tsc -p tsconfig.build.json` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
