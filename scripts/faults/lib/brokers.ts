/** Redis and Kafka for the streaming trials, started with scripts/services/*.sh, killable and restartable on the same port and data. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';

const run = promisify(execFile);
const SERVICES = join(__dirname, '..', '..', '..', ...(__dirname.includes('/dist/') ? ['..'] : []), 'scripts', 'services');

export type BrokerKind = 'redis' | 'kafka';

export interface Broker {
  url: string;
  start(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBroker(kind: BrokerKind, dir: string): Promise<Broker> {
  const port = await portOutsideEphemeralRange();
  // A JVM starting on a loaded machine (the trials share it) takes minutes, not the script's default minute.
  const env = { ...process.env, KAFKA_START_TIMEOUT_S: process.env.KAFKA_START_TIMEOUT_S ?? '240' };
  const start = async () => {
    try {
      await run('bash', [join(SERVICES, `start-${kind}.sh`), String(port), dir], { timeout: 300_000, env });
    } catch (error) {
      // The script says why on stderr (and the broker's log's tail): keep it in the trial's error.
      const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-5).join(' | ');
      throw new Error(`${kind} did not start on port ${port}${stderr ? `: ${stderr}` : ''}`, { cause: error });
    }
  };
  await start();
  return {
    url: `${kind}://127.0.0.1:${port}`,
    start,
    kill9: async () => { await run('bash', [join(SERVICES, `stop-${kind}.sh`), dir, '--kill'], { timeout: 60_000 }); },
    stop: async () => { await run('bash', [join(SERVICES, `stop-${kind}.sh`), dir], { timeout: 60_000 }).catch(() => undefined); },
  };
}

/**
 * A free port below Linux's ephemeral range (32768 and up). A killed broker's clients keep
 * connecting to its port; a port in that range can meanwhile be handed to one of them as its own
 * local port (a TCP connect to a local port nobody listens on can even connect to itself), and the
 * restarted broker then fails with "Address already in use" (seen with Kafka in a trial).
 */
async function portOutsideEphemeralRange(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
