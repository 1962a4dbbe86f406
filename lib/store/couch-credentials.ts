/**
 * The embedded CouchDB's admin credentials and the privacy of the data directory it lives in.
 *
 * The embedded server answers only requests carrying these credentials (as a CouchDB with an admin
 * and `require_valid_user = true` does), so another local user cannot read namespace keys or action
 * code, nor add a key of their own. They are generated at the first start and kept in
 * `<data-dir>/credentials/couchdb-admin.json` (0600 in a 0700 directory), so that clients handed the
 * store URL before a restart keep working after it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../errors';

export interface CouchCredentials {
  username: string;
  password: string;
}

/** Directory (0700) under the data directory that holds the credentials file. */
export const CREDENTIALS_DIR = 'credentials';
export const COUCH_CREDENTIALS_FILE = 'couchdb-admin.json';

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Where the embedded CouchDB's credentials of this data directory are kept. */
export function couchCredentialsPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), CREDENTIALS_DIR, COUCH_CREDENTIALS_FILE);
}

/**
 * The credentials kept in the data directory, generated (random user name and password) when there
 * are none yet. A damaged file is an error naming it, never silently replaced: clients and deployed
 * actions may hold URLs carrying the kept credentials.
 */
export function loadOrCreateCouchCredentials(dataDir: string): CouchCredentials {
  const file = couchCredentialsPath(dataDir);
  makePrivateDir(path.dirname(file));
  if (existsSync(file)) {
    chmodSync(file, PRIVATE_FILE_MODE);
    return parseCredentials(readFileSync(file, 'utf8'), file);
  }
  const credentials: CouchCredentials = { username: `admin-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('base64url') };
  // Written under another name, then renamed: a start killed half-way leaves no truncated file.
  const partial = `${file}.${process.pid}.partial`;
  const fd = openSync(partial, 'wx', PRIVATE_FILE_MODE);
  try {
    writeSync(fd, `${JSON.stringify(credentials, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
  return credentials;
}

function parseCredentials(text: string, file: string): CouchCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const fields = (parsed ?? {}) as Partial<Record<keyof CouchCredentials, unknown>>;
  if (typeof fields.username !== 'string' || !/^[A-Za-z0-9_-]+$/.test(fields.username) || typeof fields.password !== 'string' || !/^[A-Za-z0-9_-]+$/.test(fields.password)) {
    throw new InvalidInputError(`${file} does not hold the embedded CouchDB's credentials ({"username", "password"}, letters, digits, - and _): restore it, or remove the whole data directory to start afresh`, { path: file });
  }
  return { username: fields.username, password: fields.password };
}

/** The store URL with the credentials in it, as clients of a real CouchDB are given it. */
export function urlWithCredentials(url: string, credentials: CouchCredentials): string {
  const parsed = new URL(url);
  parsed.username = credentials.username;
  parsed.password = credentials.password;
  return parsed.toString().replace(/\/+$/, '');
}

/**
 * Makes the data directory private to its owner: the directory itself 0700, and everything the
 * platform keeps in it (`couch/`, `credentials/`, the named files) 0700 for directories and 0600 for
 * files, including what earlier versions created world-readable. Only those parts: the directory may
 * be one the user chose, holding files of their own.
 */
export function makeDataDirPrivate(dataDir: string, ownFiles: readonly string[] = []): void {
  const root = path.resolve(dataDir);
  makePrivateDir(root);
  for (const name of [CREDENTIALS_DIR, 'couch', ...ownFiles]) {
    const entry = path.join(root, name);
    if (existsSync(entry)) makePrivateTree(entry);
  }
}

function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

function makePrivateTree(entry: string): void {
  const stat = lstatSync(entry);
  // Symbolic links are not followed: their targets are not the platform's to change.
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(entry, PRIVATE_DIR_MODE);
    for (const name of readdirSync(entry)) makePrivateTree(path.join(entry, name));
  } else if (stat.isFile() && (stat.mode & 0o777) !== PRIVATE_FILE_MODE) {
    chmodSync(entry, PRIVATE_FILE_MODE);
  }
}
