/**
 * Starts the embedded CouchDB-compatible server (pouchdb-server's express-pouchdb and PouchDB on
 * LevelDB) as a child process, unless a real CouchDB is configured. Running it out of process keeps
 * its LevelDB work off the controller's event loop, and makes the local platform talk to its store
 * over the same HTTP protocol as to a real CouchDB.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { ServiceMissingError } from '../errors';

export interface EmbeddedCouchOptions {
  /** Directory under which `couch/` holds the database files. */
  dataDir: string;
  /**
   * Port to listen on. 0 (the default): the port kept in `couch/port` from an earlier start when it
   * is free, else a free one (then kept there): clients and deployed actions keep finding the store.
   */
  port?: number;
  /** Operational messages (a kept port that is taken). */
  log?: (message: string) => void;
  /** Use an already running CouchDB instead (e.g. `COUCHDB_URL`); nothing is started then. */
  externalUrl?: string;
  /** How long to wait for the server to answer `GET /`. */
  startTimeoutMs?: number;
}

export interface EmbeddedCouch {
  /** Base URL without trailing slash, credentials included when configured. */
  url: string;
  /** True when this process started the server (and `stop()` ends it). */
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * pouchdb-server's package: the server below loads express-pouchdb and PouchDB from its dependencies,
 * wherever npm placed them.
 */
const POUCHDB_SERVER_PACKAGE = require.resolve('pouchdb-server/package.json');

/**
 * The parts of express-pouchdb the server mounts. pouchdb-server mounts all of them (`fullCouchDB`):
 * its validation plugin queries the design documents for `validate_doc_update` functions once per
 * written document (most of the server's CPU per activation record: 0.7 ms per record with it,
 * 0.13 ms without, in the platform benchmark), and its size plugin walks the database directory at
 * every `GET /{db}`. Neither, nor compression, `_config`, logging, Fauxton, replication, sessions
 * or users, is part of what the platform, the run stores (nano, @ibm-cloud/cloudant) and the changes
 * provider use. Kept: PouchDB's minimum (databases, documents, `_all_docs`, `_bulk_docs`,
 * `_bulk_get`, `_changes` incl. longpoll and continuous, attachments, views, revs-diff, compaction)
 * plus `_find`/`_index`.
 */
const EXPRESS_POUCHDB_MODE = {
  mode: 'minimumForPouchDB',
  overrideMode: { include: ['routes/find'], exclude: ['compression'] },
};

/**
 * The child's program. It exits when its parent goes away (the IPC channel closes), even if the
 * parent was killed without a chance to stop it: a crashed test run must not leave database servers
 * behind. SIGTERM exits normally, so that `--cpu-prof` writes its profile.
 */
const SERVER_SCRIPT = `
'use strict';
process.on('disconnect', () => process.exit(0));
const settings = JSON.parse(process.argv[process.argv.length - 1]);
const load = require('node:module').createRequire(settings.packageJson);
const PouchDB = load('pouchdb-core').plugin(load('pouchdb-adapter-leveldb')).plugin(load('pouchdb-mapreduce'));
const app = load('express-pouchdb')(PouchDB.defaults({ prefix: settings.dir }), settings.mode);
const server = require('node:http').createServer(app);
server.keepAliveTimeout = 65000;
server.listen(settings.port, settings.host);
const exit = () => { server.close(); process.exit(0); };
process.on('SIGTERM', exit);
process.on('SIGINT', exit);
`;

export async function startEmbeddedCouch(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  if (options.externalUrl) {
    const url = options.externalUrl.replace(/\/+$/, '');
    await waitUntilAnswering(url, options.startTimeoutMs ?? 5000, undefined);
    return { url, embedded: false, stop: async () => undefined };
  }
  const couchDir = path.resolve(options.dataDir, 'couch');
  mkdirSync(couchDir, { recursive: true });
  if (options.port && options.port > 0 && !await isFree(options.port)) {
    throw new ServiceMissingError('embedded CouchDB', `port ${options.port} is taken by another process: stop that process, or choose another port (0: the port kept in ${path.join(couchDir, PORT_FILE)}, else any free one)`);
  }
  const port = options.port && options.port > 0 ? options.port : await keptOrFreePort(couchDir, options.log ?? (() => undefined));
  writeFileSync(path.join(couchDir, PORT_FILE), `${port}\n`);
  const logFile = openSync(path.join(couchDir, 'pouchdb-server.out'), 'a');
  const settings = { packageJson: POUCHDB_SERVER_PACKAGE, dir: couchDir + path.sep, port, host: '127.0.0.1', mode: EXPRESS_POUCHDB_MODE };
  // For benchmarks: a V8 CPU profile of the server, written when it stops.
  const profileDir = process.env.WHISKFLOW_COUCH_CPU_PROFILE_DIR;
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const child = spawn(process.execPath, [...profile, '-e', SERVER_SCRIPT, '--', JSON.stringify(settings)], {
    cwd: couchDir,
    stdio: ['ignore', logFile, logFile, 'ipc'],
  });
  // The channel exists only to signal the parent's death; it must not keep the parent alive.
  child.unref();
  child.channel?.unref();
  closeSync(logFile);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, options.startTimeoutMs ?? 30000, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { url, embedded: true, stop: () => stopChild(child) };
}

/** Where the embedded CouchDB's port is kept between starts (under `<data-dir>/couch/`). */
const PORT_FILE = 'port';

/** The port of the last start if it is free now, else a free one (and why, when that is news). */
async function keptOrFreePort(couchDir: string, log: (message: string) => void): Promise<number> {
  const file = path.join(couchDir, PORT_FILE);
  let kept: number | undefined;
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    kept = Number.isInteger(value) && value > 0 && value < 65536 ? value : undefined;
  } catch {
    kept = undefined;
  }
  if (kept !== undefined && await isFree(kept)) return kept;
  const port = await findFreePort();
  if (kept !== undefined) {
    log(`the embedded CouchDB's port ${kept} (kept in ${file}) is taken by another process: CouchDB now listens on port ${port}. `
      + 'whiskflow\'s actions learn it from the platform; clients given the old URL (COUCHDB_URL) must be given the new one');
  }
  return port;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Asks the OS for a free loopback port. pouchdb-server cannot report the port it picked itself. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(url: string, timeoutMs: number, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child?.once('exit', () => { exited = true; });
  for (;;) {
    if (exited) throw new ServiceMissingError('embedded CouchDB (pouchdb-server)', `the process exited during start; see ${url} logs in <data-dir>/couch/pouchdb-server.out`);
    try {
      const response = await fetch(`${url}/`);
      const body = (await response.json()) as Record<string, unknown>;
      if (response.ok && typeof body === 'object') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new ServiceMissingError('CouchDB', `no answer from ${redactUrl(url)} within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(force); resolve(); });
    child.kill('SIGTERM');
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
