/**
 * What `whiskflow local` tells the CLI about itself: `<data-dir>/local-platform.json` holds its
 * apihost, key, namespace and where its CouchDB listens (a port chosen at start when
 * `--couch-port 0`). The CLI reads it to learn the store of the platform it talks to instead of
 * guessing a CouchDB port. The store URL carries credentials (the embedded CouchDB's, or those of an
 * external COUCHDB_URL): mode 0600, in the data directory (0700).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../errors';

export const LOCAL_PLATFORM_FILE = 'local-platform.json';

export interface LocalPlatformFile {
  apihost: string;
  auth: string;
  namespace: string;
  couchUrl: string;
  dbname: string;
}

/** The data directory of `whiskflow local`: WHISKFLOW_DATA_DIR, else `.whiskflow` here. */
export function localPlatformPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(join(env.WHISKFLOW_DATA_DIR?.trim() || '.whiskflow', LOCAL_PLATFORM_FILE));
}

export function writeLocalPlatformFile(dataDir: string, platform: LocalPlatformFile): string {
  const file = resolve(join(dataDir, LOCAL_PLATFORM_FILE));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(platform, null, 2)}\n`, { mode: 0o600 });
  // An older file keeps its mode through writeFileSync.
  chmodSync(file, 0o600);
  return file;
}

/** At stop: a CLI must not take a stopped platform's (or its next start's other) port for the store. */
export function removeLocalPlatformFile(file: string): void {
  rmSync(file, { force: true });
}

export function readLocalPlatformFile(path: string): LocalPlatformFile | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InvalidInputError(`${path} is not JSON: remove it, \`whiskflow local\` writes it again at start`, { path });
  }
  const fields = parsed as Partial<Record<keyof LocalPlatformFile, unknown>>;
  const text = (key: keyof LocalPlatformFile): string | undefined => (typeof fields[key] === 'string' ? fields[key] : undefined);
  const apihost = text('apihost'); const couchUrl = text('couchUrl');
  if (!apihost || !couchUrl) throw new InvalidInputError(`${path} names no apihost or couchUrl: remove it, \`whiskflow local\` writes it again at start`, { path });
  return { apihost, couchUrl, auth: text('auth') ?? '', namespace: text('namespace') ?? '_', dbname: text('dbname') ?? 'whiskflow' };
}
