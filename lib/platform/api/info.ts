/**
 * `GET /` and `GET /api/v1`: what the API offers (clients probe it; no credentials needed). The
 * controller answers `/api/v1` with its build (RestAPIs.scala: `build`, `buildno`, which `wsk
 * property get --apibuild` shows) and `/` with its runtimes and limits; both carry all of it here.
 * The runtimes are the kinds this machine runs, nothing else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SystemLimits } from '../limits';
import type { KindCatalog } from '../runtime/kinds';

export function apiInfo(limits: SystemLimits, apiHost: string, kinds: KindCatalog): Record<string, unknown> {
  const runtimes: Record<string, unknown[]> = {};
  for (const [family, list] of Object.entries(kinds.byFamily())) {
    runtimes[family] = list.map((kind) => ({
      kind: kind.kind,
      default: kind.default,
      deprecated: false,
      attached: false,
      requireMain: kind.requireMain,
      // Where the manifest names a Docker image: what runs the kind here.
      image: kind.runsOn,
    }));
  }
  return {
    description: 'OpenWhisk API (whiskflow local platform)',
    api_version: '1.0.0',
    api_version_path: 'v1',
    build: BUILD.date,
    buildno: BUILD.number,
    api_paths: ['/api/v1'],
    api_host: apiHost,
    runtimes,
    limits: {
      actions_per_minute: limits.throttles.invocationsPerMinute,
      concurrent_actions: limits.throttles.concurrentInvocations,
      triggers_per_minute: limits.throttles.firesPerMinute,
      sequence_length: limits.sequenceMaxLength,
      min_action_duration: limits.action.timeout.min,
      max_action_duration: limits.action.timeout.max,
      min_action_memory: limits.action.memory.min * 1024 * 1024,
      max_action_memory: limits.action.memory.max * 1024 * 1024,
      min_action_logs: limits.action.logs.min * 1024 * 1024,
      max_action_logs: limits.action.logs.max * 1024 * 1024,
      max_action_concurrency: limits.action.concurrency.max,
    },
  };
}

/**
 * The controller's `whisk.info` (a build date and number): here the time this module was built and
 * whiskflow's version.
 */
const BUILD = readBuild();

function readBuild(): { date: string; number: string } {
  let date = new Date().toISOString();
  try {
    date = fs.statSync(__filename).mtime.toISOString();
  } catch {
    // bundled or virtual: the start time stands in
  }
  return { date, number: `whiskflow-${findVersion()}` };
}

function findVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'whiskflow' && manifest.version) return manifest.version;
    } catch {
      // not here: look further up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
