/**
 * One container: a Node.js child process running the action proxy, initialized with one action and
 * then run any number of times. It turns what happens to the process (answers, crashes, running out
 * of memory or time) into the activation outcome the invoker would record, with the logs it wrote.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerLog } from './activation-logs';
import { formatLogLine, limitLogEntries, type LogEntry } from './log-lines';
import * as messages from './messages';
import { ProxyClient } from './proxy-client';
import { WORK_DIR_ENV } from './proxy-environment';
import { interpretInitResponse, interpretRunResponse, type InterpretedResponse } from './proxy-response';
import type { RunnableAction, RunRequest, RunStatus } from './types';

export interface ContainerSettings {
  id: string;
  action: RunnableAction;
  /** Node.js executable for the child. */
  nodePath: string;
  proxyPath: string;
  /** NODE_PATH for the child: where actions find preinstalled packages such as `openwhisk`. */
  moduleSearchPath: string;
  apiHost: string;
  /** Called once when the child process has exited and its output has been read. */
  onExit: (container: Container) => void;
}

/** What a container reports for its part of an activation; the pool adds queueing facts. */
export interface ContainerResult {
  status: RunStatus;
  result: Record<string, unknown>;
  logs: string[];
  start: number;
  end: number;
  timedOut: boolean;
}

export type InitResult = { ok: true; initTime: number } | { ok: false; failure: ContainerResult; initTime: number };

export type ContainerState = 'starting' | 'ready' | 'stopping' | 'dead';

/** How long a child may take to start listening; a bound on platform trouble, not on the action. */
const STARTUP_TIMEOUT_MS = 30_000;
/**
 * How long to wait for the sentinels once the proxy has answered: both arrive on pipes that the
 * event loop may read after the HTTP answer. The invoker has the same kind of bound.
 */
const LOG_WAIT_MS = 2_000;
const KILL_GRACE_MS = 2_000;
const BYTES_PER_MB = 1024 * 1024;
const OUT_OF_MEMORY_MARKER = 'JavaScript heap out of memory';

export class Container {
  readonly id: string;
  readonly action: RunnableAction;
  /** Pool key: an updated action (new revision) never reuses these containers. */
  readonly key: string;
  state: ContainerState = 'starting';
  /** Activations handed to this container and not finished. */
  active = 0;
  lastUsed = Date.now();
  /** Set when the container should stop as soon as it is idle (evicted while busy). */
  retired = false;
  /** Settles when the proxy is listening and the action initialized (or failed to). */
  readonly ready: Promise<InitResult>;

  private readonly child: ChildProcess;
  private readonly workDir: string;
  private readonly log: ContainerLog;
  private readonly collectLogs: boolean;
  private readonly logLimitBytes: number;
  private readonly closed: Promise<void>;
  private client: ProxyClient | undefined;
  private outOfMemory = false;
  private exitDescription = '';
  private onClosed: (() => void) | undefined;

  constructor(private readonly settings: ContainerSettings) {
    const { action } = settings;
    this.id = settings.id;
    this.action = action;
    this.key = containerKey(action);
    this.logLimitBytes = Math.max(0, action.limits.logs) * BYTES_PER_MB;
    // As on OpenWhisk: a log limit of 0 skips collection, and activations sharing a container
    // (concurrency > 1) cannot be told apart by sentinels, so their logs are not collected.
    this.collectLogs = this.logLimitBytes > 0 && action.limits.concurrency <= 1;
    this.log = new ContainerLog(this.logLimitBytes);
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-container-'));
    // The heap limit stands in for the container's memory limit (V8 heap only: buffers and native memory are not bounded).
    const heapFlags = action.limits.memory > 0 ? [`--max-old-space-size=${Math.floor(action.limits.memory)}`] : [];
    this.child = spawn(settings.nodePath, [...heapFlags, settings.proxyPath], {
      cwd: this.workDir,
      env: this.childEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.closed = this.watchProcess();
    this.ready = this.startAndInit();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  hasCapacity(): boolean {
    return (this.state === 'starting' || this.state === 'ready') && !this.retired && this.active < Math.max(1, this.action.limits.concurrency);
  }

  /** Resident set size of the child in bytes (0 when unknown: not Linux, or already gone). */
  residentBytes(): number {
    if (this.child.pid === undefined || this.state === 'dead') return 0;
    try {
      const statm = fs.readFileSync(`/proc/${this.child.pid}/statm`, 'utf8');
      const residentPages = Number(statm.split(' ')[1]);
      return Number.isFinite(residentPages) ? residentPages * 4096 : 0;
    } catch {
      return 0;
    }
  }

  async run(request: RunRequest): Promise<ContainerResult> {
    const client = this.client;
    if (client === undefined || this.state !== 'ready') {
      const now = Date.now();
      return { status: 'whisk internal error', result: { error: messages.resourceProvisionError }, logs: [], start: now, end: now, timedOut: false };
    }
    const body = JSON.stringify(runBody(request));
    const timeoutMs = this.action.limits.timeout;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.kill('SIGKILL');
    }, timeoutMs);
    const start = Date.now();
    try {
      const response = await client.post('/run', body);
      const end = Date.now();
      clearTimeout(timer);
      const interpreted = interpretRunResponse(response);
      const logs = await this.activationLogs(interpreted.status === 'action developer error');
      return { ...interpreted, logs, start, end, timedOut: false };
    } catch {
      clearTimeout(timer);
      const end = Date.now();
      // The connection broke: the process died (killed at the time limit, out of memory, or crashed).
      await this.closed;
      const error = timedOut ? messages.timedOutActivation(timeoutMs, false) : this.outOfMemory ? messages.memoryExhausted : messages.abnormalRun;
      const logs = await this.activationLogs(true);
      return { status: 'action developer error', result: { error }, logs, start, end, timedOut };
    }
  }

  /** Stops the child; resolves when it has exited and its output has been read. */
  async stop(): Promise<void> {
    if (this.state !== 'dead') {
      this.state = 'stopping';
      this.kill('SIGTERM');
      const forceKill = setTimeout(() => this.kill('SIGKILL'), KILL_GRACE_MS);
      forceKill.unref();
      await this.closed;
      clearTimeout(forceKill);
    }
  }

  private async startAndInit(): Promise<InitResult> {
    const startedAt = Date.now();
    let port: number;
    try {
      port = await this.waitUntilListening();
    } catch (error) {
      this.kill('SIGKILL');
      const reason = formatLogLine({ time: new Date().toISOString(), stream: 'stderr', message: String(error) });
      return { ok: false, initTime: Date.now() - startedAt, failure: this.failure('whisk internal error', messages.resourceProvisionError, startedAt, false, [reason]) };
    }
    this.client = new ProxyClient(port, Math.max(1, this.action.limits.concurrency));
    const body = JSON.stringify({
      value: { name: this.action.fqn.split('/').pop() ?? this.action.fqn, main: this.action.main || 'main', code: this.action.code, binary: this.action.binary, env: this.action.env ?? {} },
    });
    const timeoutMs = this.action.limits.timeout;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.kill('SIGKILL');
    }, timeoutMs);
    const initStart = Date.now();
    let failure: InterpretedResponse | undefined;
    try {
      failure = interpretInitResponse(await this.client.post('/init', body));
    } catch {
      await this.closed;
      const error = timedOut ? messages.timedOutActivation(timeoutMs, true) : this.outOfMemory ? messages.memoryExhausted : messages.abnormalInitialization;
      failure = { status: 'action developer error', result: { error } };
    } finally {
      clearTimeout(timer);
    }
    const initTime = Date.now() - initStart;
    if (failure === undefined) {
      if (this.state === 'starting') this.state = 'ready';
      return { ok: true, initTime };
    }
    const logs = await this.activationLogs(true);
    return { ok: false, initTime, failure: { ...failure, logs, start: initStart, end: Date.now(), timedOut } };
  }

  private failure(status: RunStatus, error: string, start: number, timedOut: boolean, logs: string[]): ContainerResult {
    return { status, result: { error }, logs, start, end: Date.now(), timedOut };
  }

  private waitUntilListening(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the action proxy did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      this.child.once('message', (message: unknown) => {
        clearTimeout(timer);
        const port = (message as { port?: unknown } | null)?.port;
        if (typeof port === 'number' && port > 0) resolve(port);
        else reject(new Error('the action proxy reported no port'));
      });
      void this.closed.then(() => {
        clearTimeout(timer);
        reject(new Error(`the action proxy exited before listening (${this.exitDescription})`));
      });
    });
  }

  /**
   * The logs of the activation that just ended, formatted. Developer errors may come without
   * sentinels (the process died), so then the invoker takes whatever is there and adds a warning.
   */
  private async activationLogs(developerError: boolean): Promise<string[]> {
    if (!this.collectLogs) {
      this.log.discard();
      return [];
    }
    let entries: LogEntry[];
    if (this.state === 'dead') {
      entries = this.log.takeAll();
    } else if (await this.waitForSentinels()) {
      entries = this.log.takeActivation();
    } else {
      entries = this.log.takeAll();
      if (!developerError) entries.push({ time: new Date().toISOString(), stream: 'stderr', message: messages.logFailure });
    }
    entries = limitLogEntries(entries, this.logLimitBytes, () => new Date().toISOString());
    if (developerError) entries.push({ time: new Date().toISOString(), stream: 'stderr', message: messages.logWarningDeveloperError });
    return entries.map(formatLogLine);
  }

  private waitForSentinels(): Promise<boolean> {
    if (this.log.hasActivationEnd()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.log.onLines(undefined);
        this.onClosed = undefined;
        resolve(this.log.hasActivationEnd());
      };
      const timer = setTimeout(finish, LOG_WAIT_MS);
      this.log.onLines(() => {
        if (this.log.hasActivationEnd()) finish();
      });
      // A field rather than `closed.then(...)`: a warm container serves many activations, and each
      // would otherwise leave a callback on the promise until the container exits.
      this.onClosed = finish;
    });
  }

  private watchProcess(): Promise<void> {
    const { stdout, stderr } = this.child;
    stdout?.setEncoding('utf8');
    stderr?.setEncoding('utf8');
    // Streams are always drained (a full pipe would block the action), but only buffered when collected.
    stdout?.on('data', (chunk: string) => {
      if (this.collectLogs) this.log.push('stdout', chunk);
    });
    stderr?.on('data', (chunk: string) => {
      if (chunk.includes(OUT_OF_MEMORY_MARKER)) this.outOfMemory = true;
      if (this.collectLogs) this.log.push('stderr', chunk);
    });
    return new Promise((resolve) => {
      const finish = (description: string): void => {
        if (this.state === 'dead') return;
        this.exitDescription = description;
        this.state = 'dead';
        this.log.end();
        this.client?.close();
        fs.rm(this.workDir, { recursive: true, force: true }, () => undefined);
        resolve();
        this.onClosed?.();
        this.settings.onExit(this);
      };
      this.child.once('close', (code, signal) => finish(signal ? `signal ${signal}` : `exit code ${String(code)}`));
      // 'close' does not follow when spawning itself failed.
      this.child.once('error', (error) => {
        if (this.child.pid === undefined) finish(error.message);
      });
    });
  }

  /** Kills the child at once, synchronously: for the platform's own exit, when nothing can be awaited. */
  killNow(): void {
    this.kill('SIGKILL');
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.state !== 'dead' && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private childEnvironment(): NodeJS.ProcessEnv {
    // A clean environment, as in an OpenWhisk container: the platform's own variables (credentials
    // included) must not leak into user code.
    return {
      PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.workDir,
      NODE_PATH: this.settings.moduleSearchPath,
      __OW_API_HOST: this.settings.apiHost,
      __OW_ALLOW_CONCURRENT: this.action.limits.concurrency > 1 ? 'true' : 'false',
      [WORK_DIR_ENV]: path.join(this.workDir),
    };
  }
}

export function containerKey(action: Pick<RunnableAction, 'fqn' | 'revision'>): string {
  return `${action.fqn}@${action.revision}`;
}

/** The `/run` body the invoker sends; every field but `value` is a string the proxy exports as `__OW_*`. */
function runBody(request: RunRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    value: request.params,
    namespace: request.namespace,
    action_name: request.actionName,
    activation_id: request.activationId,
    deadline: String(request.deadline),
    api_host: request.apiHost,
  };
  if (request.apiKey !== undefined) body['api_key'] = request.apiKey;
  return body;
}
