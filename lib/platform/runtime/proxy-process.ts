/**
 * A started action proxy process, not yet given an action: what a container runs on. The pool keeps
 * one or two of these started ahead of need ("stem cells", as OpenWhisk prewarms containers), so
 * that a cold start pays only for /init, not for starting Node.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SECRET_FD, WORK_DIR_ENV } from './proxy-environment';
import type { Confinement, Sandbox } from './sandbox';

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
  /** The user, memory limit and process tree confinement of the pool's containers. */
  sandbox: Sandbox;
  /** Unique among the pool's processes: names its memory cgroup. */
  name: string;
}

type OutputListener = (chunk: string) => void;

/** How long a child may take to start listening; a bound on platform trouble, not on the action. */
const STARTUP_TIMEOUT_MS = 30_000;
/** After the proxy exited, how long its output pipes may stay open (held by a process that escaped the kill). */
const PIPE_CLOSE_GRACE_MS = 2_000;
const SECRET_BYTES = 32;
const discardOutput: OutputListener = () => undefined;

export class ProxyProcess {
  readonly memoryMb: number;
  readonly workDir: string;
  /**
   * The proxy answers only requests carrying it (proxy-client.ts), so that no other local process
   * can initialize or run the container. Handed over on a pipe the proxy reads and closes at start:
   * never in the environment, the command line or the action's parameters.
   */
  readonly secret = randomBytes(SECRET_BYTES).toString('hex');
  /** Resolves with the proxy's port; rejects when the process ends first or takes too long. */
  readonly port: Promise<number>;
  /** Resolves with how the process ended, once it has exited and its output has been read. */
  readonly exited: Promise<string>;
  hasExited = false;

  private readonly child: ChildProcess;
  private readonly confinement: Confinement;

  constructor(settings: ProxyProcessSettings) {
    this.memoryMb = settings.memoryMb;
    const { sandbox } = settings;
    // mkdtemp makes it 0700: private to the container's user once it is handed over.
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-container-'));
    sandbox.giveDirectory(this.workDir);
    this.confinement = sandbox.confine(settings.name, settings.memoryMb);
    // The V8 heap limit makes a heap overflow end with V8's own message; the confinement bounds
    // everything else (buffers, native memory, child processes).
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
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      // Its own process group, so that a kill (time limit, eviction) also ends the Python, Java or
      // Go process that runs a non-Node.js action, as stopping a Docker container would.
      detached: true,
      ...(sandbox.user ? { uid: sandbox.user.uid, gid: sandbox.user.gid } : {}),
    });
    const secretPipe = this.child.stdio[SECRET_FD] as NodeJS.WritableStream | null;
    secretPipe?.on('error', () => undefined);
    secretPipe?.end(this.secret);
    if (this.child.pid !== undefined) this.confinement.adopt(this.child.pid, () => this.kill('SIGKILL'));
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

  /** The container went over its memory limit: the guard or the kernel killed it for that. */
  get outOfMemory(): boolean {
    return this.confinement.outOfMemory;
  }

  /**
   * Checked after each answer of the proxy: true (and the container is being killed) when the
   * kernel killed one of its processes for memory, which the action may have survived.
   */
  memoryExceeded(): boolean {
    const over = this.confinement.exceededNow();
    if (over) this.kill('SIGKILL');
    return over;
  }

  /** Hands the process's output to its container. */
  adopt(onStdout: OutputListener, onStderr: OutputListener): void {
    this.child.stdout?.off('data', discardOutput).on('data', onStdout);
    this.child.stderr?.off('data', discardOutput).on('data', onStderr);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.hasExited) return;
    // Processes that left the group (a detached child has a session of its own) go too: now for
    // SIGKILL, when the proxy exits for SIGTERM (what the proxy's tree holds now is noted first).
    this.confinement.lookAgain();
    if (signal === 'SIGKILL') this.confinement.killAll();
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
        void this.confinement.release().then(() => {
          fs.rm(this.workDir, { recursive: true, force: true }, () => undefined);
          resolve(description);
        });
      };
      // What the action left running dies with the proxy, as with a stopped Docker container;
      // then the output pipes, which such a process may hold open, close.
      this.child.once('exit', () => {
        this.confinement.killAll();
        try {
          if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
        } catch {
          // the group is empty
        }
        const destroyPipes = setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
        }, PIPE_CLOSE_GRACE_MS);
        destroyPipes.unref();
        this.child.once('close', () => clearTimeout(destroyPipes));
      });
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
