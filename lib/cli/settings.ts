/**
 * Where the CLI finds the platform, as `wsk` does, each setting on its own:
 *   1. a flag (`--apihost`, `--auth`, `--namespace`, `--store`);
 *   2. the environment (`WHISKFLOW_APIHOST`, `WHISKFLOW_AUTH`, `WHISKFLOW_NAMESPACE`; the store from
 *      `CLOUDANT_URL` + credentials, else `COUCHDB_URL`); `WHISK_APIHOST`/`WHISK_AUTH` are read
 *      as deprecated aliases (older docs named them);
 *   3. the wsk properties file, `WSK_CONFIG_FILE` or `~/.wskprops` (APIHOST, AUTH, NAMESPACE, and
 *      COUCHDB_URL, which `whiskflow local --write-wskprops` adds and wsk keeps untouched);
 *   4. for the store only: the file `whiskflow local` writes into its data directory
 *      (`WHISKFLOW_DATA_DIR`, default `.whiskflow`), when it describes the same apihost;
 *   5. a default: `whiskflow local`'s apihost and guest key. The store has no default: a guessed
 *      CouchDB on 5984 may be another platform's.
 * Every value carries the source it came from, so that an unreachable platform is reported with
 * where its address was read. Pure: the environment and the files' text come in as arguments.
 */
import { DEFAULT_DBNAME, type StoreConfig } from '../store/config';
import type { Wskprops } from './wskprops';
import type { LocalPlatformFile } from './local-platform-file';

export const LOCAL_APIHOST = 'http://127.0.0.1:3233';
/** The standalone OpenWhisk's well-known guest key (public, not a secret). */
export const GUEST_AUTH = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';

export interface ConnectionFlags {
  apihost?: string;
  auth?: string;
  namespace?: string;
  /** A CouchDB URL (Cloudant's legacy credentials fit in it too), or `memory`. */
  store?: string;
}

/** A value and where it was read: `--apihost`, `WHISKFLOW_APIHOST`, `/home/u/.wskprops`, `default`. */
export interface Sourced<T> {
  value: T;
  source: string;
}

export interface ResolvedSettings {
  apihost: Sourced<string>;
  auth: Sourced<string>;
  namespace: Sourced<string>;
  /** Undefined when nothing names a store. */
  store?: Sourced<StoreConfig>;
  /** Every place a setting was looked for, in order: what an error message lists. */
  lookedAt: string[];
  /** Deprecated variables that were used, to warn about. */
  deprecated: string[];
}

export interface SettingsSources {
  flags: ConnectionFlags;
  env: NodeJS.ProcessEnv;
  /** The wsk properties file, when it exists. */
  wskprops?: Wskprops;
  /** The path the wsk properties file was looked for at (read or not). */
  wskpropsPath: string;
  /** What `whiskflow local` left in its data directory, when there is such a file. */
  localPlatform?: LocalPlatformFile;
  localPlatformPath: string;
}

/** Environment variables of each setting, newest name first; the others are deprecated aliases. */
export const ENV_NAMES = {
  apihost: ['WHISKFLOW_APIHOST', 'WHISK_APIHOST'],
  auth: ['WHISKFLOW_AUTH', 'WHISK_AUTH'],
  namespace: ['WHISKFLOW_NAMESPACE'],
} as const;

export function resolveSettings(sources: SettingsSources): ResolvedSettings {
  const { flags, env, wskprops } = sources;
  const deprecated: string[] = [];
  const fromEnv = (names: readonly string[]): Sourced<string> | undefined => {
    for (const [position, name] of names.entries()) {
      const value = nonEmpty(env[name]);
      if (value === undefined) continue;
      if (position > 0) deprecated.push(`${name} (use ${names[0]})`);
      return { value, source: name };
    }
    return undefined;
  };
  const fromProps = (key: keyof Wskprops): Sourced<string> | undefined => {
    const value = nonEmpty(wskprops?.[key]);
    return value === undefined ? undefined : { value, source: `${sources.wskpropsPath} (${key})` };
  };
  const fromFlag = (name: keyof ConnectionFlags): Sourced<string> | undefined => {
    const value = nonEmpty(flags[name]);
    return value === undefined ? undefined : { value, source: `--${name}` };
  };

  const apihost = fromFlag('apihost') ?? fromEnv(ENV_NAMES.apihost) ?? fromProps('APIHOST') ?? { value: LOCAL_APIHOST, source: 'default (whiskflow local)' };
  const auth = fromFlag('auth') ?? fromEnv(ENV_NAMES.auth) ?? fromProps('AUTH') ?? { value: GUEST_AUTH, source: 'default (the guest key)' };
  const namespace = fromFlag('namespace') ?? fromEnv(ENV_NAMES.namespace) ?? fromProps('NAMESPACE') ?? { value: '_', source: 'default' };
  const store = resolveStore(sources, apihost.value);
  const lookedAt = ['flags', [...ENV_NAMES.apihost, ...ENV_NAMES.auth, ...ENV_NAMES.namespace, 'CLOUDANT_URL', 'COUCHDB_URL'].join(', '),
    sources.wskpropsPath + (wskprops ? '' : ' (absent)'), sources.localPlatformPath + (sources.localPlatform ? '' : ' (absent)')];
  return { apihost, auth, namespace, ...(store ? { store } : {}), lookedAt, deprecated };
}

function resolveStore(sources: SettingsSources, apihost: string): Sourced<StoreConfig> | undefined {
  const { flags, env, wskprops, localPlatform } = sources;
  const dbname = nonEmpty(env.WHISKFLOW_DB) ?? DEFAULT_DBNAME;
  const flag = nonEmpty(flags.store);
  if (flag === 'memory') return { value: { kind: 'memory' }, source: '--store' };
  if (flag) return { value: { kind: 'couchdb', url: flag, dbname }, source: '--store' };
  const cloudant = nonEmpty(env.CLOUDANT_URL);
  if (cloudant) {
    const iamApiKey = nonEmpty(env.CLOUDANT_APIKEY);
    const username = nonEmpty(env.CLOUDANT_USERNAME);
    const password = nonEmpty(env.CLOUDANT_PASSWORD);
    return {
      value: { kind: 'cloudant', url: cloudant, dbname, ...(iamApiKey ? { iamApiKey } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) },
      source: 'CLOUDANT_URL',
    };
  }
  const couch = nonEmpty(env.COUCHDB_URL);
  if (couch) return { value: { kind: 'couchdb', url: couch, dbname }, source: 'COUCHDB_URL' };
  const fromProps = nonEmpty(wskprops?.COUCHDB_URL);
  if (fromProps) return { value: { kind: 'couchdb', url: fromProps, dbname }, source: `${sources.wskpropsPath} (COUCHDB_URL)` };
  // The data directory's file only speaks for the platform it describes: another apihost's store
  // would hold other runs.
  if (localPlatform && sameHost(localPlatform.apihost, apihost)) {
    return { value: { kind: 'couchdb', url: localPlatform.couchUrl, dbname: nonEmpty(env.WHISKFLOW_DB) ?? localPlatform.dbname }, source: sources.localPlatformPath };
  }
  return undefined;
}

/** `127.0.0.1:3233`, `http://localhost:3233/` and `http://127.0.0.1:3233` are one platform. */
export function sameHost(a: string, b: string): boolean {
  const normal = (apihost: string): string => {
    try {
      const url = new URL(/^https?:\/\//.test(apihost) ? apihost : `https://${apihost}`);
      const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname;
      return `${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      return apihost;
    }
  };
  return normal(a) === normal(b);
}

/** wsk accepts a bare `host:port` (and means https); the JS client wants a URL. */
export function apihostUrl(apihost: string): string {
  return /^https?:\/\//.test(apihost) ? apihost : `https://${apihost}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
