/**
 * One container: a Node.js child process running the action proxy, initialized with one action and
 * then run any number of times. It turns what happens to the process (answers, crashes, running out
 * of memory or time) into the activation outcome the invoker would record, with the logs it wrote.
 */
import * as fs from 'node:fs';
import { ContainerLog } from './activation-logs';
import type { ContainerRuntime } from './host-runtimes';
import { formatLogLine, limitLogEntries, type LogEntry } from './log-lines';
import * as messages from './messages';
import { ProxyClient } from './proxy-client';
import type { ProxyProcess } from './proxy-process';
import { interpretInitResponse, interpretRunResponse, type InterpretedResponse } from './proxy-response';
import type { RunnableAction, RunRequest, RunStatus } from './types';

export interface ContainerSettings {
  id: string;
  action: RunnableAction;
  /** The started proxy to initialize with the action (fresh, or a prewarmed stem cell). */
  process: ProxyProcess;
  /** `__OW_API_HOST` while the action initializes (each run then passes its own). */
  apiHost: string;
  /** How the kind runs: in the proxy (Node.js), by a launcher, or not at all on this machine (undefined). */
  runtime: ContainerRuntime | undefined;
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

  private readonly process: ProxyProcess;
  private readonly log: ContainerLog;
  private readonly collectLogs: boolean;
  private readonly logLimitBytes: number;
  private readonly closed: Promise<void>;
  private client: ProxyClient | undefined;
  private outOfMemory = false;
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
    this.process = settings.process;
    this.closed = this.watchProcess();
    this.ready = this.startAndInit();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  hasCapacity(): boolean {
    return (this.state === 'starting' || this.state === 'ready') && !this.retired && this.active < Math.max(1, this.action.limits.concurrency);
  }

  /**
   * Resident set size of the child in bytes, with the launcher behind it for Python, Java and Go
   * actions (its direct children); 0 when unknown: not Linux, or already gone.
   */
  residentBytes(): number {
    const pid = this.process.pid;
    if (pid === undefined || this.state === 'dead') return 0;
    const launchers = this.settings.runtime === 'nodejs' ? [] : childPids(pid);
    return [pid, ...launchers].reduce((total, each) => total + residentBytesOf(each), 0);
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
      // A process the kernel killed for memory (a child the action waited for) ends the container too.
      if (this.process.memoryExceeded()) throw new Error('the container exceeded its memory limit');
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
      const error = timedOut ? messages.timedOutActivation(timeoutMs, false) : this.outOfMemory || this.process.outOfMemory ? messages.memoryExhausted : messages.abnormalRun;
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
      port = await this.process.port;
    } catch (error) {
      this.kill('SIGKILL');
      const reason = formatLogLine({ time: new Date().toISOString(), stream: 'stderr', message: String(error) });
      return { ok: false, initTime: Date.now() - startedAt, failure: this.failure('whisk internal error', messages.resourceProvisionError, startedAt, false, [reason]) };
    }
    this.client = new ProxyClient(port, Math.max(1, this.action.limits.concurrency), this.process.secret);
    const { runtime } = this.settings;
    if (runtime === undefined) {
      return { ok: false, initTime: 0, failure: this.failure('action developer error', messages.kindUnavailable(this.action.kind), startedAt, false, []) };
    }
    const body = JSON.stringify({
      value: {
        name: this.action.fqn.split('/').pop() ?? this.action.fqn, main: this.action.main || 'main', code: this.action.code, binary: this.action.binary, env: this.initEnvironment(),
        // For the proxy alone: which launcher runs a Python, Java or Go action (an invoker sends no kind).
        ...(runtime === 'nodejs' ? {} : { runtime }),
      },
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
      const response = await this.client.post('/init', body);
      if (this.process.memoryExceeded()) throw new Error('the container exceeded its memory limit');
      failure = interpretInitResponse(response);
    } catch {
      await this.closed;
      const error = timedOut ? messages.timedOutActivation(timeoutMs, true) : this.outOfMemory || this.process.outOfMemory ? messages.memoryExhausted : messages.abnormalInitialization;
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
    let stderrTail = '';
    // Output is always drained (a full pipe would block the action), but only kept when collected.
    this.process.adopt(
      (chunk) => {
        if (this.collectLogs) this.log.push('stdout', chunk);
      },
      (chunk) => {
        // The tail of the previous chunk too, in case the marker was split between two reads.
        if ((stderrTail + chunk).includes(OUT_OF_MEMORY_MARKER)) this.outOfMemory = true;
        stderrTail = chunk.slice(-OUT_OF_MEMORY_MARKER.length);
        if (this.collectLogs) this.log.push('stderr', chunk);
      },
    );
    return this.process.exited.then(() => {
      this.state = 'dead';
      this.log.end();
      this.client?.close();
      this.onClosed?.();
      this.settings.onExit(this);
    });
  }

  /** Kills the child at once, synchronously: for the platform's own exit, when nothing can be awaited. */
  killNow(): void {
    this.kill('SIGKILL');
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.state !== 'dead') this.process.kill(signal);
  }

  /**
   * The init message's `env`, which the proxy copies into its environment: set here rather than
   * when the process starts, because a prewarmed process is started before its action is known.
   */
  private initEnvironment(): Record<string, string> {
    return {
      ...this.action.env,
      __OW_API_HOST: this.settings.apiHost,
      __OW_ALLOW_CONCURRENT: this.action.limits.concurrency > 1 ? 'true' : 'false',
    };
  }
}

function residentBytesOf(pid: number): number {
  try {
    const residentPages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(residentPages) ? residentPages * 4096 : 0;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
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
