/**
 * The processes the side-by-side fan-out benchmark runs next to the platform: a Redis and a Kafka
 * broker (scripts/services/*.sh on free ports, unless REDIS_URL / KAFKA_BROKERS name running ones)
 * and `whiskflow engine` processes (bin/whiskflow.js), each measured apart through /proc.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { freePort } from '../lib/ports';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { EventStream } from '../../../lib/runtimes/streaming/brokers';
import { createEventStream } from '../../../lib/runtimes/streaming/stream-connection';
import { DEFAULT_TOPICS } from '../../../lib/runtimes/streaming/topics';

const run = promisify(execFile);

/** The repository root (where package.json is), from the source or from its build under dist/. */
export function repositoryRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'scripts/services'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}

export type Backend = 'redis' | 'kafka';

export interface Broker {
  backend: Backend;
  url: string;
  /** The broker's process id when this benchmark started it (for its CPU time). */
  pid?: number;
  stop(): Promise<void>;
}

export async function startBroker(backend: Backend): Promise<Broker> {
  if (backend === 'redis' && process.env.REDIS_URL) return { backend, url: process.env.REDIS_URL, stop: async () => undefined };
  if (backend === 'kafka' && process.env.KAFKA_BROKERS) return { backend, url: `kafka://${process.env.KAFKA_BROKERS}`, stop: async () => undefined };
  const services = join(repositoryRoot(), 'scripts/services');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `whiskflow-bench-fanout-${backend}-`));
  const stop = async (): Promise<void> => {
    await run('bash', [join(services, `stop-${backend}.sh`), dir], { timeout: 60_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // The server dies with this process if the benchmark is killed before it stops it.
    await run('bash', [join(services, `start-${backend}.sh`), String(port), dir], { timeout: 120_000, env: { ...process.env, WHISKFLOW_OWNER_PID: String(process.pid) } });
  } catch (error) {
    await stop();
    throw error;
  }
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(join(dir, `${backend}.pid`), 'utf8').trim()) || undefined;
  } catch { /* CPU of the broker is then not reported */ }
  return { backend, url: `${backend}://127.0.0.1:${port}`, ...(pid ? { pid } : {}), stop };
}

export interface EngineChild {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export interface EngineChildOptions {
  streamUrl: string;
  topicPrefix: string;
  name: string;
  apihost: string;
  auth: string;
  couchUrl: string;
  database: string;
}

/** `whiskflow engine` in its own process, ready once it says so. */
export async function startEngineChild(options: EngineChildOptions): Promise<EngineChild> {
  const bin = join(repositoryRoot(), 'bin/whiskflow.js');
  const child = spawn(process.execPath, [bin, 'engine', '--stream', options.streamUrl, '--topic-prefix', options.topicPrefix, '--consumer', options.name], {
    env: {
      ...process.env,
      WHISK_APIHOST: options.apihost, WHISK_AUTH: options.auth, COUCHDB_URL: options.couchUrl, WHISKFLOW_DB: options.database,
      WHISKFLOW_LOG_LEVEL: process.env.WHISKFLOW_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If the benchmark is killed before it stops its engines, they go with it.
  spawn('bash', [join(repositoryRoot(), 'scripts/services/watch-owner.sh'), String(process.pid), String(child.pid)], { stdio: 'ignore', detached: true }).unref();
  let printed = '';
  const keep = (chunk: Buffer): void => {
    // Keep the tail only: a long run's warnings must not grow without bound.
    printed = (printed + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  while (!printed.includes('ready (Ctrl-C to stop)')) {
    if (child.exitCode !== null) throw new Error(`engine ${options.name} exited (${child.exitCode}) before it was ready: ${printed.slice(-2_000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`engine ${options.name} not ready after 60 s: ${printed.slice(-2_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    pid: child.pid as number,
    output: () => printed,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A broker, a `whiskflow engine` on it, and a stream to start runs on (its completions topic). */
export interface StreamingEngine { broker: Broker; engine: EngineChild; stream: EventStream; completions: string }

/** Starts a broker of `backend` and an engine on it under `topicPrefix`; stops the broker if the engine fails. */
export async function startStreamingEngine(
  backend: Backend,
  options: Omit<EngineChildOptions, 'streamUrl'> & { partitions?: number },
): Promise<StreamingEngine> {
  const broker = await startBroker(backend);
  try {
    const { partitions, ...engineOptions } = options;
    const engine = await startEngineChild({ ...engineOptions, streamUrl: broker.url });
    const stream = createEventStream(broker.url, partitions ? { partitions } : {});
    return { broker, engine, stream, completions: `${options.topicPrefix}${DEFAULT_TOPICS.completions}` };
  } catch (thrown) {
    await broker.stop().catch(() => undefined);
    throw thrown;
  }
}

/** Stops what startStreamingEngine started: the engine, the stream, the broker. */
export async function stopStreamingEngine({ broker, engine, stream }: StreamingEngine): Promise<void> {
  await engine.stop().catch(() => undefined);
  await stream.close().catch(() => undefined);
  await broker.stop();
}
