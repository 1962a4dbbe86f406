/**
 * `whiskflow engine` as a real OS process (bin/whiskflow.js, built into dist/ by `npm run build`), so
 * that a test can SIGKILL it mid-run as a crash would, and start another one in its place.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LocalPlatform } from '../../../../helpers/local-platform';

const BIN = join(__dirname, '../../../../../bin/whiskflow.js');
const WATCH_OWNER = join(__dirname, '../../../../../scripts/services/watch-owner.sh');

export interface EngineProcess {
  readonly name: string;
  readonly pid: number;
  /** Everything it printed, for a failing test's message. */
  output(): string;
  /** SIGKILL: no batch in progress is finished, checkpointed or acknowledged. */
  kill(): Promise<void>;
  /** SIGTERM: stops after the batches in progress, leaves the consumer groups. */
  stop(): Promise<void>;
}

export interface EngineProcessOptions {
  platform: LocalPlatform;
  streamUrl: string;
  /** Prefix of the completion and orchestration topics (`<prefix>whiskflow.completions`). */
  topicPrefix: string;
  name: string;
  /** CouchDB database of the run state (the one the workflows were deployed to). @default whiskflow */
  database?: string;
}

export async function startEngineProcess(options: EngineProcessOptions): Promise<EngineProcess> {
  const child = spawn(process.execPath, [BIN, 'engine', '--stream', options.streamUrl, '--topic-prefix', options.topicPrefix, '--consumer', options.name], {
    env: {
      ...process.env,
      WHISK_APIHOST: options.platform.apihost,
      WHISK_AUTH: options.platform.auth,
      COUCHDB_URL: options.platform.couchUrl,
      WHISKFLOW_DB: options.database ?? 'whiskflow',
      WHISKFLOW_LOG_LEVEL: process.env.WHISKFLOW_TEST_ENGINE_LOG ? 'info' : 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A Jest worker that dies without stopping its engines must not leave them running.
  spawn('bash', [WATCH_OWNER, String(process.pid), String(child.pid)], { stdio: 'ignore', detached: true }).unref();
  let printed = '';
  const collect = (chunk: Buffer): void => {
    printed += chunk.toString();
    if (process.env.WHISKFLOW_TEST_ENGINE_LOG) process.stderr.write(`[${options.name}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (printed.includes('ready (Ctrl-C to stop)')) done(resolve);
    };
    const onExit = (code: number | null): void => done(() => reject(new Error(`engine ${options.name} exited (${code}) before it was ready:\n${printed}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`engine ${options.name} not ready after 60 s:\n${printed}`))), 60_000);
    const done = (then: () => void): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      then();
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  }).catch(async (error: unknown) => {
    await signal(child, 'SIGKILL', exited);
    throw error;
  });

  return {
    name: options.name,
    pid: child.pid as number,
    output: () => printed,
    kill: () => signal(child, 'SIGKILL', exited),
    async stop() {
      await signal(child, 'SIGTERM', exited, 20_000);
    },
  };
}

/** Sends `name` and waits for the exit; a process that ignores SIGTERM is killed after `graceMs`. */
async function signal(child: ChildProcess, name: NodeJS.Signals, exited: Promise<void>, graceMs = 0): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(name);
  if (graceMs > 0) {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    return;
  }
  await exited;
}
