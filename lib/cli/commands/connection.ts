/**
 * The platform and the run store the workflow commands talk to (not a command itself), found as
 * lib/cli/settings.ts says: flag > environment > wsk properties file > `whiskflow local`'s file >
 * default. An unreachable platform or store is reported with the address and where it was read.
 */
import type { Command } from 'commander';
import { resolve } from 'path';
import { loadConfig, redact } from '../../config';
import { WhiskflowError } from '../../errors';
import { createRunStore, type StoreConfig } from '../../store/config';
import type { RunStore } from '../../store/run-store';
import { createClient, type WhiskClient } from '../../openwhisk/client';
import { readLocalPlatformFile, localPlatformPath } from '../local-platform-file';
import { apihostUrl, resolveSettings, type ConnectionFlags, type ResolvedSettings } from '../settings';
import { readWskprops, wskpropsPath } from '../wskprops';

export { GUEST_AUTH, LOCAL_APIHOST } from '../settings';

export interface Connection {
  apihost: string;
  auth: string;
  namespace: string;
  storeConfig: StoreConfig;
  client: WhiskClient;
  store: RunStore;
  /** Where the action bundles are (`npm run build` writes them). */
  bundlesDir: string;
  settings: ResolvedSettings;
}

/** The flags every workflow command takes, as `wsk` names them, plus the store. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--apihost <host>', 'OpenWhisk API host (default: $WHISKFLOW_APIHOST, else APIHOST of $WSK_CONFIG_FILE or ~/.wskprops, else http://127.0.0.1:3233)')
    .option('--auth <uuid:key>', 'OpenWhisk credentials (default: $WHISKFLOW_AUTH, else AUTH of the wsk properties file, else the local guest key)')
    .option('--namespace <name>', 'OpenWhisk namespace (default: $WHISKFLOW_NAMESPACE, else NAMESPACE of the wsk properties file, else _)')
    .option('--store <url>', 'run store: a CouchDB URL, or `memory` (default: $CLOUDANT_URL or $COUCHDB_URL, else COUCHDB_URL of the wsk properties file, else the store `whiskflow local` recorded in its data dir)');
}

/** Reads the settings of the flags given, the environment (and `.env`) and the files. */
export function settingsOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedSettings {
  loadConfig(); // loads `.env` into the environment; variables already set win
  const propsPath = wskpropsPath(env);
  const localPath = localPlatformPath(env);
  const wskprops = readWskprops(propsPath);
  const localPlatform = readLocalPlatformFile(localPath);
  return resolveSettings({
    flags, env, wskpropsPath: propsPath, localPlatformPath: localPath,
    ...(wskprops ? { wskprops } : {}), ...(localPlatform ? { localPlatform } : {}),
  });
}

export function connect(flags: ConnectionFlags = {}, env: NodeJS.ProcessEnv = process.env): Connection {
  const settings = settingsOf(flags, env);
  for (const name of settings.deprecated) console.error(`whiskflow: warning: ${name} is deprecated`);
  if (!settings.store) {
    throw new WhiskflowError('SERVICE_MISSING', `no run store for the platform at ${settings.apihost.value} (from ${settings.apihost.source}): `
      + `give --store <couchdb-url>, set COUCHDB_URL (or CLOUDANT_URL), add COUCHDB_URL to the wsk properties file, or start \`whiskflow local\`. Looked at: ${settings.lookedAt.join('; ')}`,
    { apihost: settings.apihost.value });
  }
  const storeConfig = settings.store.value;
  return {
    apihost: settings.apihost.value, auth: settings.auth.value, namespace: settings.namespace.value, storeConfig, settings,
    client: createClient({ apihost: apihostUrl(settings.apihost.value), apiKey: settings.auth.value, namespace: settings.namespace.value }),
    store: createRunStore(storeConfig),
    bundlesDir: env.WHISKFLOW_BUNDLES_DIR ?? resolve(__dirname, '../../../actions'),
  };
}

/** "OpenWhisk API http://… (from ~/.wskprops (APIHOST)), run store couchdb http://… (from --store)". */
export function whereWeLooked(settings: ResolvedSettings): string {
  const store = settings.store
    ? `run store ${'url' in settings.store.value ? String(redact(settings.store.value.url)) : settings.store.value.kind} (from ${settings.store.source})`
    : 'no run store';
  return `OpenWhisk API ${settings.apihost.value} (from ${settings.apihost.source}), ${store}`;
}

const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|ETIMEDOUT|EAI_AGAIN|fetch failed|socket hang up|is not reachable|STORE_UNAVAILABLE/;

/**
 * Connects, does the command's work, and turns "could not connect" into a message that says which
 * addresses were tried and where each came from (a user with a stale ~/.wskprops sees which file).
 */
export async function withConnection<T>(flags: ConnectionFlags, work: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = connect(flags);
  try {
    return await work(connection);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    throw new WhiskflowError('SERVICE_MISSING', `could not reach the platform: ${cause}. Tried ${whereWeLooked(connection.settings)}. `
      + 'Start `whiskflow local`, or point the CLI elsewhere with --apihost/--store, the environment or the wsk properties file (whiskflow --help).',
    { apihost: connection.apihost }, true);
  }
}

function isUnreachable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const { message, code } = current as { message?: unknown; code?: unknown };
    if (code === 'STORE_UNAVAILABLE' || code === 'SERVICE_MISSING') return true;
    if (typeof code === 'string' && UNREACHABLE.test(code)) return true;
    if (typeof message === 'string' && UNREACHABLE.test(message)) return true;
    current = (current as { cause?: unknown; error?: unknown }).cause ?? (current as { error?: unknown }).error;
  }
  return false;
}
