/**
 * Starts the local platform in a child process (scripts/bench/platform-server.js) and talks to it
 * over IPC, so that a benchmark's own client work is not charged to the platform's CPU.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { PlatformStats } from '../../../lib/platform';

export type PlatformChildMessage =
  | { type: 'ready'; apihost: string; auth: string; namespace: string; couchUrl: string; pid: number }
  | { type: 'stats'; stats: PlatformStats }
  | { type: 'stopped' };

export type PlatformParentMessage = { type: 'stats' } | { type: 'stop' };

export interface ChildPlatform {
  apihost: string;
  auth: string;
  namespace: string;
  couchUrl: string;
  pid: number;
  stats(): Promise<PlatformStats>;
  stop(): Promise<void>;
}

export interface ChildPlatformOptions {
  /** JSON-serialisable options for `startPlatform` (port and dataDir are chosen by the child). */
  platformOptions?: Record<string, unknown>;
  startTimeoutMs?: number;
  /** Write a V8 CPU profile of the platform process into this directory (node --cpu-prof). */
  cpuProfileDir?: string;
}

export async function startChildPlatform(entry: string, options: ChildPlatformOptions = {}): Promise<ChildPlatform> {
  const execArgv = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const child = fork(entry, [JSON.stringify(options.platformOptions ?? {})], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const ready = await waitForMessage(child, 'ready', options.startTimeoutMs ?? 60_000);
  let exited = false;
  child.once('exit', () => { exited = true; });

  return {
    apihost: ready.apihost,
    auth: ready.auth,
    namespace: ready.namespace,
    couchUrl: ready.couchUrl,
    pid: ready.pid,
    async stats() {
      const answer = waitForMessage(child, 'stats', 10_000);
      child.send({ type: 'stats' } satisfies PlatformParentMessage);
      return (await answer).stats;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' } satisfies PlatformParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

function waitForMessage<T extends PlatformChildMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<PlatformChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: PlatformChildMessage) => {
      if (message.type !== type) return;
      cleanup();
      resolve(message as Extract<PlatformChildMessage, { type: T }>);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`platform process exited (code ${code}) before sending '${type}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`platform process sent no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Waits until the platform has no busy or queued containers (stragglers after a run's end); false if it did not within the bound. */
export async function settle(platform: ChildPlatform, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const stats = await platform.stats();
    quiet = stats.busy === 0 && stats.queued === 0 ? quiet + 1 : 0;
    if (quiet >= 3) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
