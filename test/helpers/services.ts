/**
 * Real Redis and Kafka for integration tests.
 *
 * `requireRedis()` / `requireKafka()` use the service named by REDIS_URL / KAFKA_BROKERS when set,
 * or else start a private one on a free port in a temp dir with scripts/services/start-*.sh, so test
 * files running in parallel never share a broker. A service that can't be reached or started fails
 * the test with a ServiceMissingError saying what to install: never a silent skip, in CI or not.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/bench/lib/ports';

export { freePort };
import { ServiceMissingError, ensureError } from '../../lib/errors';

const run = promisify(execFile);
const SCRIPTS = resolve(__dirname, '../../scripts/services');

export interface TestService {
  /** URL for `createEventStream`: `redis://127.0.0.1:port` or `kafka://127.0.0.1:port`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Whether this test run started the service (and so may restart and stop it). */
  readonly owned: boolean;
  /**
   * Stops and starts the service again on the same port with the same data, as a broker restart.
   * `crash: true` kills it (SIGKILL) instead of a clean shutdown.
   */
  restart(options?: { crash?: boolean }): Promise<void>;
  /** Stops a service this run started and deletes its data; does nothing for an external one. */
  stop(): Promise<void>;
}

export interface KafkaTestService extends TestService {
  /** `host:port` list for kafkajs. */
  readonly brokers: readonly string[];
}

const INSTALL_HINT = {
  redis: 'install it with `bash scripts/services/install-redis.sh` (Debian: apt-get install -y redis-server), or set REDIS_URL=redis://host:port',
  kafka: 'install it with `bash scripts/services/install-kafka.sh` (needs java 17+ and mvn), or set KAFKA_BROKERS=host:port',
} as const;

export async function requireRedis(): Promise<TestService> {
  const external = process.env.REDIS_URL;
  if (external) {
    const url = new URL(external);
    const port = Number(url.port || 6379);
    await assertReachable('Redis', url.hostname, port, `REDIS_URL points at ${url.hostname}:${port}, which does not answer; ${INSTALL_HINT.redis}`);
    return externalService(external, url.hostname, port);
  }
  return startOwned('redis', 'Redis', (port) => `redis://127.0.0.1:${port}`);
}

export async function requireKafka(): Promise<KafkaTestService> {
  const external = process.env.KAFKA_BROKERS;
  if (external) {
    const brokers = external.split(',').map((broker) => broker.trim()).filter(Boolean);
    const [host = '', portText = '9092'] = (brokers[0] ?? '').split(':');
    const port = Number(portText);
    await assertReachable('Kafka', host, port, `KAFKA_BROKERS names ${host}:${port}, which does not answer; ${INSTALL_HINT.kafka}`);
    return { ...externalService(`kafka://${brokers.join(',')}`, host, port), brokers };
  }
  const service = await startOwned('kafka', 'Kafka', (port) => `kafka://127.0.0.1:${port}`);
  return Object.assign(service, { brokers: [`127.0.0.1:${service.port}`] });
}

type Kind = 'redis' | 'kafka';

/** Attempts with a fresh port: another process may take a "free" port before the server binds it. */
const START_ATTEMPTS = 3;

async function startOwned(kind: Kind, label: string, urlFor: (port: number) => string): Promise<TestService> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt += 1) {
    try {
      return await startOwnedOnce(kind, label, urlFor);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOwnedOnce(kind: Kind, label: string, urlFor: (port: number) => string): Promise<TestService> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `whiskflow-${kind}-`));
  const pidFile = join(dir, `${kind}.pid`);
  const start = async (): Promise<void> => {
    try {
      // WHISKFLOW_OWNER_PID: the server dies with this process if Jest ends it without stop()
      // (listeners on `process` inside a Jest environment never hear the worker's exit or signals).
      await run('bash', [join(SCRIPTS, `start-${kind}.sh`), String(port), dir],
        { timeout: 120_000, env: { ...process.env, WHISKFLOW_OWNER_PID: String(process.pid) } });
    } catch (thrown) {
      const error = thrown as { stderr?: string };
      throw new ServiceMissingError(label, `could not start on port ${port} (${(error.stderr ?? ensureError(thrown).message).trim()}); ${INSTALL_HINT[kind]}`);
    }
  };
  const stopProcess = (crash: boolean): Promise<unknown> =>
    run('bash', [join(SCRIPTS, `stop-${kind}.sh`), dir, ...(crash ? ['--kill'] : [])], { timeout: 60_000 });


  try {
    await start();
  } catch (error) {
    await stopProcess(true).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  return {
    url: urlFor(port),
    host: '127.0.0.1',
    port,
    owned: true,
    async restart(options = {}) {
      await stopProcess(options.crash === true);
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(false).catch(() => killFromPidFile(pidFile));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function externalService(url: string, host: string, port: number): TestService {
  return {
    url,
    host,
    port,
    owned: false,
    async restart() {
      throw new ServiceMissingError(`${url.split(':')[0]} restart`,
        'a restart needs a broker started by the tests; unset REDIS_URL / KAFKA_BROKERS to let them start one');
    },
    async stop() {
      // Not ours to stop.
    },
  };
}

function killFromPidFile(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function assertReachable(label: string, host: string, port: number, hint: string): Promise<void> {
  return new Promise((resolveReachable, reject) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(5_000);
    socket.once('connect', () => {
      socket.destroy();
      resolveReachable();
    });
    const fail = (): void => {
      socket.destroy();
      reject(new ServiceMissingError(label, hint));
    };
    socket.once('error', fail);
    socket.once('timeout', fail);
  });
}

