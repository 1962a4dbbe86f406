/**
 * Store settings as they travel: in the environment (CLI), and as a package parameter of the
 * deployed `whiskflow` package (actions). One shape for both so that what the CLI deploys is what
 * the orchestrator action later reads.
 */
import { InvalidInputError } from '../errors';
import { CouchDbRunStore } from './couchdb';
import { readingLegacyPositions } from './legacy-position';
import { MemoryRunStore } from './memory';
import type { RunStore } from './run-store';
import { PLATFORM_COUCHDB_ENV } from './platform-couch';

export const DEFAULT_DBNAME = 'whiskflow';
export const DEFAULT_COUCHDB_URL = 'http://127.0.0.1:5984';

export type StoreConfig =
  | { kind: 'couchdb'; url: string; dbname: string }
  | { kind: 'cloudant'; url: string; dbname: string; iamApiKey?: string; username?: string; password?: string }
  | { kind: 'memory' };

/** The store `config` names, reading documents stored by earlier versions as this one names their fields. */
export function createRunStore(config: StoreConfig): RunStore {
  return readingLegacyPositions(openStore(config));
}

function openStore(config: StoreConfig): RunStore {
  switch (config.kind) {
    case 'couchdb':
      return new CouchDbRunStore({ url: config.url, dbname: config.dbname });
    case 'cloudant': {
      // Loaded on first use: the Cloudant SDK takes ~300 ms to load, which every cold start of an
      // orchestrator container on CouchDB would otherwise pay.
      const { CloudantRunStore } = require('./cloudant') as typeof import('./cloudant');
      return new CloudantRunStore(config);
    }
    case 'memory':
      return new MemoryRunStore();
    default: {
      const unknownKind: never = config;
      throw new InvalidInputError(`unknown store kind ${JSON.stringify((unknownKind as { kind?: unknown }).kind)}`, { expected: 'couchdb | cloudant | memory' });
    }
  }
}

/**
 * Reads store settings from environment variables: `CLOUDANT_URL` (+ `CLOUDANT_APIKEY` or
 * `CLOUDANT_USERNAME`/`CLOUDANT_PASSWORD`) selects Cloudant; otherwise `COUCHDB_URL` (default the
 * local platform's embedded CouchDB). `WHISKFLOW_DB` names the database.
 */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const dbname = env.WHISKFLOW_DB || DEFAULT_DBNAME;
  if (env.CLOUDANT_URL) {
    return {
      kind: 'cloudant', url: env.CLOUDANT_URL, dbname,
      ...(env.CLOUDANT_APIKEY ? { iamApiKey: env.CLOUDANT_APIKEY } : {}),
      ...(env.CLOUDANT_USERNAME ? { username: env.CLOUDANT_USERNAME } : {}),
      ...(env.CLOUDANT_PASSWORD ? { password: env.CLOUDANT_PASSWORD } : {}),
    };
  }
  return { kind: 'couchdb', url: env.COUCHDB_URL || DEFAULT_COUCHDB_URL, dbname };
}

/**
 * The store an action uses: the deployed settings, except that on the whiskflow local platform a
 * CouchDB store is the platform's own CouchDB, whose URL the platform provides at activation time
 * (`PLATFORM_COUCHDB_ENV`). So a platform restarted on another CouchDB port needs no redeploy, and
 * the URL comes from the platform, never from an event. On a real OpenWhisk the variable does not
 * exist and the bound URL (CouchDB or Cloudant) is used as deployed.
 */
export function storeConfigOfAction(value: unknown, env: NodeJS.ProcessEnv = process.env): StoreConfig {
  const config = parseStoreConfig(value);
  const platformUrl = env[PLATFORM_COUCHDB_ENV];
  return config.kind === 'couchdb' && platformUrl ? { ...config, url: platformUrl } : config;
}

/**
 * The settings without the user name and password of a CouchDB URL: what is bound to the actions of
 * a platform that provides its store's URL itself (storeConfigOfAction), so that the credentials do
 * not show in `wsk action get`.
 */
export function withoutUrlCredentials(config: StoreConfig): StoreConfig {
  if (config.kind !== 'couchdb') return config;
  const url = new URL(config.url);
  url.username = '';
  url.password = '';
  return { ...config, url: url.toString().replace(/\/+$/, '') };
}

/** Validates a store config that arrived as an action parameter (untrusted JSON). */
export function parseStoreConfig(value: unknown): StoreConfig {
  if (typeof value !== 'object' || value === null) throw new InvalidInputError('store settings missing: deploy the workflow with `whiskflow deploy` first', { got: typeof value });
  const config = value as Record<string, unknown>;
  const text = (key: string): string | undefined => (typeof config[key] === 'string' ? (config[key] as string) : undefined);
  const dbname = text('dbname') ?? DEFAULT_DBNAME;
  if (config.kind === 'memory') return { kind: 'memory' };
  const url = text('url');
  if (!url) throw new InvalidInputError('store settings need a url', { kind: config.kind });
  if (config.kind === 'cloudant') {
    const iamApiKey = text('iamApiKey'); const username = text('username'); const password = text('password');
    return { kind: 'cloudant', url, dbname, ...(iamApiKey ? { iamApiKey } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) };
  }
  return { kind: 'couchdb', url, dbname };
}
