/**
 * Starts the embedded CouchDB-compatible server (pouchdb-server) as a child process, unless a real
 * CouchDB is configured. Running it out of process keeps its LevelDB work off the controller's event
 * loop, and makes the local platform talk to its store over the same HTTP protocol as to a real CouchDB.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { ServiceMissingError } from '../errors';

export interface EmbeddedCouchOptions {
  /** Directory under which `couch/` holds the database files. */
  dataDir: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
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

const POUCHDB_SERVER_BIN = require.resolve('pouchdb-server/bin/pouchdb-server');

export async function startEmbeddedCouch(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  if (options.externalUrl) {
    const url = options.externalUrl.replace(/\/+$/, '');
    await waitUntilAnswering(url, options.startTimeoutMs ?? 5000, undefined);
    return { url, embedded: false, stop: async () => undefined };
  }
  const couchDir = path.join(options.dataDir, 'couch');
  mkdirSync(couchDir, { recursive: true });
  const port = options.port && options.port > 0 ? options.port : await findFreePort();
  // pouchdb-server writes config.json and log.txt into its working directory: keep them in the data dir.
  const logFile = openSync(path.join(couchDir, 'pouchdb-server.out'), 'a');
  const args = ['--port', String(port), '--host', '127.0.0.1', '--dir', couchDir, '--config', path.join(couchDir, 'config.json'), '--no-stdout-logs'];
  // The server exits when its parent goes away (the IPC channel closes), even if the parent was killed
  // without a chance to stop it: a crashed test run must not leave database servers behind.
  const guard = `process.on('disconnect', () => process.exit(0)); process.argv.splice(1, 0, ${JSON.stringify(POUCHDB_SERVER_BIN)}); require(${JSON.stringify(POUCHDB_SERVER_BIN)});`;
  const child = spawn(process.execPath, ['-e', guard, '--', ...args], {
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
