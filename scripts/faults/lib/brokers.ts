/** Redis and Kafka for the streaming trials, started with scripts/services/*.sh, killable and restartable on the same port and data. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/lib/ports';

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
  const port = await freePort();
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
