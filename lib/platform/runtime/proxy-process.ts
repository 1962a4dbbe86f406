/**
 * A started action proxy process, not yet given an action: what a container runs on. The pool keeps
 * one or two of these started ahead of need ("stem cells", as OpenWhisk prewarms containers), so
 * that a cold start pays only for /init, not for starting Node.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WORK_DIR_ENV } from './proxy-environment';

export interface ProxyProcessSettings {
  /** Node.js executable. */
  nodePath: string;
  proxyPath: string;
  /** NODE_PATH: where actions find preinstalled packages such as `openwhisk`. */
  moduleSearchPath: string;
  /** Becomes the V8 heap limit, standing in for the container's memory limit. */
  memoryMb: number;
  /** Niceness relative to this process (NodeRuntimeOptions.containerNice); absent: the same priority. */
  nice?: number;
}

type OutputListener = (chunk: string) => void;

/** How long a child may take to start listening; a bound on platform trouble, not on the action. */
const STARTUP_TIMEOUT_MS = 30_000;
const discardOutput: OutputListener = () => undefined;

export class ProxyProcess {
  readonly memoryMb: number;
  readonly workDir: string;
  /** Resolves with the proxy's port; rejects when the process ends first or takes too long. */
  readonly port: Promise<number>;
  /** Resolves with how the process ended, once it has exited and its output has been read. */
  readonly exited: Promise<string>;
  hasExited = false;

  private readonly child: ChildProcess;

  constructor(settings: ProxyProcessSettings) {
    this.memoryMb = settings.memoryMb;
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-container-'));
    // V8 heap only: buffers and native memory are not bounded (Docker would bound them too).
    const heapFlags = settings.memoryMb > 0 ? [`--max-old-space-size=${Math.floor(settings.memoryMb)}`] : [];
    this.child = spawn(settings.nodePath, [...heapFlags, settings.proxyPath], {
      cwd: this.workDir,
      // A clean environment, as in an OpenWhisk container: the platform's own variables
      // (credentials included) must not leak into user code.
      env: {
        PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
        HOME: this.workDir,
        NODE_PATH: settings.moduleSearchPath,
        [WORK_DIR_ENV]: this.workDir,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group, so that a kill (time limit, eviction) also ends the Python, Java or
      // Go process that runs a non-Node.js action, as stopping a Docker container would.
      detached: true,
    });
    if (settings.nice && this.child.pid !== undefined) lowerPriority(this.child.pid, settings.nice);
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    // Drained until a container adopts the process: a full pipe would block it.
    this.child.stdout?.on('data', discardOutput);
    this.child.stderr?.on('data', discardOutput);
    this.exited = this.watchExit();
    this.port = this.waitUntilListening();
    // A stem cell may die unused; nobody awaits its port then.
    this.port.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Hands the process's output to its container. */
  adopt(onStdout: OutputListener, onStderr: OutputListener): void {
    this.child.stdout?.off('data', discardOutput).on('data', onStdout);
    this.child.stderr?.off('data', discardOutput).on('data', onStderr);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    const pid = this.child.pid;
    try {
      // The whole group: the proxy and whatever it started (it may have exited already).
      if (pid !== undefined) process.kill(-pid, signal);
      return;
    } catch {
      // no such group (never started): fall back to the child alone
    }
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private watchExit(): Promise<string> {
    return new Promise((resolve) => {
      const finish = (description: string): void => {
        if (this.hasExited) return;
        this.hasExited = true;
        fs.rm(this.workDir, { recursive: true, force: true }, () => undefined);
        resolve(description);
      };
      this.child.once('close', (code, signal) => finish(signal ? `signal ${signal}` : `exit code ${String(code)}`));
      // 'close' does not follow when spawning itself failed.
      this.child.once('error', (error) => {
        if (this.child.pid === undefined) finish(error.message);
      });
    });
  }

  private waitUntilListening(): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the action proxy did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      timer.unref();
      this.child.once('message', (message: unknown) => {
        clearTimeout(timer);
        const port = (message as { port?: unknown } | null)?.port;
        if (typeof port === 'number' && port > 0) resolve(port);
        else reject(new Error('the action proxy reported no port'));
      });
      void this.exited.then((description) => {
        clearTimeout(timer);
        reject(new Error(`the action proxy exited before listening (${description})`));
      });
    });
  }
}

/**
 * Set right after the spawn, before the proxy has loaded anything: the process then runs, and
 * every action it is given later runs, below the platform. A failure only costs the priority.
 */
function lowerPriority(pid: number, nice: number): void {
  try {
    os.setPriority(pid, Math.min(19, os.getPriority() + nice));
  } catch {
    // e.g. a platform without priorities: run at the same priority
  }
}
