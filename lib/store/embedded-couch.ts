/**
 * Starts the embedded CouchDB-compatible server (pouchdb-server's express-pouchdb and PouchDB on
 * LevelDB) as a child process, unless a real CouchDB is configured, and keeps it running. Running it
 * out of process keeps its LevelDB work off the controller's event loop, and makes the local platform
 * talk to its store over the same HTTP protocol as to a real CouchDB.
 *
 * The server requires its admin's credentials (couch-credentials.ts): the URL it returns carries them,
 * as a real CouchDB's URL would. Supervision: this process opens the port and keeps it; the child
 * serves on it (embedded-couch-server.ts). When the child dies it is started again, with backoff, on
 * the same port and data; connections made meanwhile wait in the queue of the port that never closed
 * instead of being refused. LevelDB writes each acknowledged document to its log before the answer
 * (no fsync: it survives the death of the process, not that of the machine), so nothing acknowledged
 * is lost to a restart.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { ServiceMissingError } from '../errors';
import { couchCredentialsPath, loadOrCreateCouchCredentials, makeDataDirPrivate, urlWithCredentials, type CouchCredentials } from './couch-credentials';
import { SERVER_SCRIPT } from './embedded-couch-server';

export interface EmbeddedCouchOptions {
  /** Directory under which `couch/` holds the database files and `credentials/` the admin's. */
  dataDir: string;
  /**
   * Port to listen on. 0 (the default): the port kept in `couch/port` from an earlier start when it
   * is free, else a free one (then kept there): clients and deployed actions keep finding the store.
   */
  port?: number;
  /** Operational messages (a kept port that is taken, a restart); never credentials. */
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
 * pouchdb-server's package: the server loads express-pouchdb and PouchDB from its dependencies,
 * wherever npm placed them.
 */
const POUCHDB_SERVER_PACKAGE = require.resolve('pouchdb-server/package.json');

/**
 * The parts of express-pouchdb the server mounts. pouchdb-server mounts all of them (`fullCouchDB`):
 * its validation plugin queries the design documents for `validate_doc_update` functions once per
 * written document (most of the server's CPU per activation record: 0.7 ms per record with it,
 * 0.13 ms without, in the platform benchmark), and its size plugin walks the database directory at
 * every `GET /{db}`. Neither, nor compression, `_config`, logging, Fauxton, replication, sessions
 * or users, is part of what the platform, the run stores (couch-http.ts, @ibm-cloud/cloudant) and
 * the changes provider use (authentication is the front's, embedded-couch-server.ts). Kept: PouchDB's minimum
 * (databases, documents, `_all_docs`, `_bulk_docs`, `_bulk_get`, `_changes` incl. longpoll and
 * continuous, attachments, views, revs-diff, compaction) plus `_find`/`_index`.
 */
const EXPRESS_POUCHDB_MODE = {
  mode: 'minimumForPouchDB',
  overrideMode: { include: ['routes/find'], exclude: ['compression'] },
};

/** Where the embedded CouchDB's port is kept between starts (under `<data-dir>/couch/`). */
const PORT_FILE = 'port';
/** The pid of the running server process (under `<data-dir>/couch/`), for operators. */
export const PID_FILE = 'pid';
/** Waits before the 1st, 2nd, ... restart of a server that keeps dying; the last one repeats. */
const RESTART_BACKOFF_MS = [0, 250, 1000, 2000, 5000];
/** A server that ran this long before dying is restarted at once again. */
const STABLE_AFTER_MS = 30_000;
/** Connections held while no server runs: beyond these, the oldest are dropped. */
const MAX_WAITING_CONNECTIONS = 1000;

export async function startEmbeddedCouch(options: EmbeddedCouchOptions): Promise<EmbeddedCouch> {
  if (options.externalUrl) {
    const url = options.externalUrl.replace(/\/+$/, '');
    await waitUntilAnswering(url, options.startTimeoutMs ?? 5000);
    return { url, embedded: false, stop: async () => undefined };
  }
  const log = options.log ?? (() => undefined);
  makeDataDirPrivate(options.dataDir, ['local-platform.json']);
  const credentials = loadOrCreateCouchCredentials(options.dataDir);
  const couchDir = path.resolve(options.dataDir, 'couch');
  mkdirSync(couchDir, { recursive: true, mode: 0o700 });
  const listener = await openPort(couchDir, options.port ?? 0, log);
  const port = (listener.address() as { port: number }).port;
  writeFileSync(path.join(couchDir, PORT_FILE), `${port}\n`, { mode: 0o600 });
  const supervisor = new CouchSupervisor(listener, couchDir, couchCredentialsPath(options.dataDir), log);
  const url = urlWithCredentials(`http://127.0.0.1:${port}`, credentials);
  try {
    await supervisor.start();
    await waitUntilAnswering(url, options.startTimeoutMs ?? 30000);
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  return { url, embedded: true, stop: () => supervisor.stop() };
}

/**
 * The child server of one data directory, restarted when it dies until `stop()`. Connections this
 * process accepts on the shared port (the kernel hands each to one of the two processes) are passed
 * to the child, or held until the next child listens.
 *
 * A connection on its way to a child that dies is held again for the next one. Node passes handles
 * one at a time, each waiting for the child's acknowledgement, and forgets those still queued (and
 * the one awaiting its acknowledgement) when the child dies: with `keepOpen: false` such a
 * connection stayed open in this process, unread and answered by nobody, and its client (a task
 * conductor, in a fault trial) waited out its 300 s limit. So this process keeps its own handle of
 * each connection until the message carrying it is written, and closes it only then.
 */
class CouchSupervisor {
  private child: ChildProcess | undefined;
  private listening = false;
  private stopping = false;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly waiting: Socket[] = [];
  /** Connections whose message to a child is not written yet, with that child. */
  private readonly sending = new Map<Socket, ChildProcess>();
  /** False until a server listened: a first server that dies fails the start instead of looping. */
  private everListened = false;

  constructor(private readonly listener: Server, private readonly couchDir: string, private readonly credentialsFile: string,
    private readonly log: (message: string) => void) {
    listener.on('connection', (socket) => this.accepted(socket));
  }

  /** Starts the first server; fails when it exits before it listens (then nothing is restarted). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = this.spawnChild();
      // Until it listens, waiting for it is what keeps this process running.
      child.channel?.ref();
      child.once('message', () => { child.channel?.unref(); resolve(); });
      child.once('exit', () => reject(new ServiceMissingError('embedded CouchDB (pouchdb-server)',
        `the process exited during start; see its log in ${path.join(this.couchDir, 'pouchdb-server.out')}`)));
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const socket of this.waiting.splice(0)) socket.destroy();
    for (const socket of this.sending.keys()) socket.destroy();
    this.sending.clear();
    // Not awaited: close() reports only when every connection ever passed to a child has ended,
    // which for kept-alive ones is the child's keep-alive timeout; stopping the child ends them.
    this.listener.close();
    if (this.child) await stopChild(this.child);
    rmSync(path.join(this.couchDir, PID_FILE), { force: true });
  }

  private spawnChild(): ChildProcess {
    const logFile = openSync(path.join(this.couchDir, 'pouchdb-server.out'), 'a', 0o600);
    const settings = { packageJson: POUCHDB_SERVER_PACKAGE, dir: this.couchDir + path.sep, credentialsFile: this.credentialsFile, mode: EXPRESS_POUCHDB_MODE };
    // For benchmarks: a V8 CPU profile of the server, written when it stops.
    const profileDir = process.env.WHISKFLOW_COUCH_CPU_PROFILE_DIR;
    const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    const child = spawn(process.execPath, [...profile, '-e', SERVER_SCRIPT, '--', JSON.stringify(settings)], {
      cwd: this.couchDir,
      stdio: ['ignore', logFile, logFile, 'ipc'],
    });
    closeSync(logFile);
    // The child must not keep this process alive; its channel exists to pass the port and connections.
    child.unref();
    child.channel?.unref();
    this.child = child;
    this.listening = false;
    const startedAt = Date.now();
    if (child.pid !== undefined) writeFileSync(path.join(this.couchDir, PID_FILE), `${child.pid}\n`, { mode: 0o600 });
    child.on('message', (message) => {
      if (message !== 'whiskflow:listening' || this.child !== child) return;
      this.listening = true;
      this.everListened = true;
      for (const socket of this.waiting.splice(0)) this.handOver(socket);
    });
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.listening = false;
      // Never written to the dead child (queued behind an acknowledgement that will not come): unread, whole.
      for (const [socket, to] of this.sending) {
        if (to !== child) continue;
        this.sending.delete(socket);
        if (!socket.destroyed) this.hold(socket);
      }
      if (this.stopping || !this.everListened) return;
      if (Date.now() - startedAt > STABLE_AFTER_MS) this.restarts = 0;
      const delay = RESTART_BACKOFF_MS[Math.min(this.restarts, RESTART_BACKOFF_MS.length - 1)] ?? 0;
      this.restarts += 1;
      this.log(`the embedded CouchDB (pid ${child.pid ?? '?'}) exited (${signal ?? `code ${code}`}); restarting it on the same port${delay ? ` in ${delay} ms` : ''} (log: ${path.join(this.couchDir, 'pouchdb-server.out')})`);
      this.restartTimer = setTimeout(() => { if (!this.stopping) this.spawnChild(); }, delay);
      this.restartTimer.unref();
    });
    child.send('whiskflow:listen', this.listener);
    return child;
  }

  private accepted(socket: Socket): void {
    if (this.listening) this.handOver(socket);
    else this.hold(socket);
  }

  private hold(socket: Socket): void {
    this.waiting.push(socket);
    if (this.waiting.length > MAX_WAITING_CONNECTIONS) this.waiting.shift()?.destroy();
  }

  private handOver(socket: Socket): void {
    const child = this.child;
    if (!child?.connected) { this.hold(socket); return; }
    this.sending.set(socket, child);
    child.send('whiskflow:connection', socket, { keepOpen: true }, (error) => {
      // Already held again (the child exited first), or closed by stop().
      if (this.sending.get(socket) !== child) return;
      this.sending.delete(socket);
      // Not written (the child went away): the connection was not read, it waits for the next one.
      if (error) { if (!socket.destroyed) this.hold(socket); return; }
      // Written: the message holds the connection now, this process's handle can go (closing one
      // handle of it does not end it). Should the child die before reading the message, the
      // connection closes with it and its client sees a reset, which it retries.
      socket.destroy();
    });
  }
}

/**
 * The listening socket of the server: on the given port, else on the port kept from the last start
 * when it is free, else on a free one. Connections wait unread (`pauseOnConnect`) until a child
 * takes them.
 */
async function openPort(couchDir: string, port: number, log: (message: string) => void): Promise<Server> {
  if (port > 0) {
    try {
      return await listen(port);
    } catch {
      throw new ServiceMissingError('embedded CouchDB', `port ${port} is taken by another process: stop that process, or choose another port (0: the port kept in ${path.join(couchDir, PORT_FILE)}, else any free one)`);
    }
  }
  const file = path.join(couchDir, PORT_FILE);
  const kept = keptPort(file);
  if (kept !== undefined) {
    try {
      return await listen(kept);
    } catch {
      const server = await listen(0);
      log(`the embedded CouchDB's port ${kept} (kept in ${file}) is taken by another process: CouchDB now listens on port ${(server.address() as { port: number }).port}. `
        + 'whiskflow\'s actions learn it from the platform; clients given the old URL (COUCHDB_URL) must be given the new one');
      return server;
    }
  }
  return listen(0);
}

function keptPort(file: string): number | undefined {
  try {
    const value = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(value) && value > 0 && value < 65536 ? value : undefined;
  } catch {
    return undefined;
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer({ pauseOnConnect: true });
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      // Held for the child; it must not keep this process alive by itself.
      server.unref();
      resolve(server);
    });
  });
}

/** Splits `http://user:password@host` into a URL fetch accepts and the header carrying the credentials. */
export function requestTarget(url: string): { url: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const credentials: CouchCredentials | undefined = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString().replace(/\/+$/, ''),
    headers: credentials ? { authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` } : {},
  };
}

async function waitUntilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const target = requestTarget(url);
  for (;;) {
    let status: number | undefined;
    try {
      const response = await fetch(`${target.url}/`, { headers: target.headers, signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now())) });
      status = response.status;
      const body = (await response.json()) as Record<string, unknown>;
      if (response.ok && typeof body === 'object') return;
    } catch {
      // not listening yet
    }
    if (status === 401) throw new ServiceMissingError('CouchDB', `${redactUrl(url)} refused the credentials (HTTP 401)`);
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
