/**
 * Jest globalTeardown of the integration tests: fails the run when a process started by it is still
 * running once every test file has ended. The per-file check (no-leaks-environment.ts) misses a
 * process a file started after its last hook, e.g. a server whose start was still under way when a
 * failed `beforeAll` gave up; such a process would keep running after Jest, or keep it from exiting.
 * The run's processes carry RUN_MARKER_ENV (set by global-setup.ts) in their environment.
 */
import { processesWithEnv, type ProcessInfo } from './processes';

export const RUN_MARKER_ENV = 'WHISKFLOW_TEST_RUN';
const GRACE_MS = 5_000;

/** Jest's own worker processes carry the marker too, and are Jest's to end. */
const isJestWorker = (info: ProcessInfo): boolean => info.command.includes('jest-worker');

function leftovers(marker: string): ProcessInfo[] {
  return processesWithEnv(RUN_MARKER_ENV, marker).filter((info) => info.pid !== process.pid && !isJestWorker(info));
}

export default async function globalTeardown(): Promise<void> {
  const marker = process.env[RUN_MARKER_ENV];
  if (!marker) return;
  let found = leftovers(marker);
  const deadline = Date.now() + GRACE_MS;
  while (found.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = leftovers(marker);
  }
  if (found.length === 0) return;
  for (const info of found) {
    try {
      process.kill(info.pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  const list = found.map((info) => `  pid ${info.pid} (parent ${info.ppid}): ${info.command.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n');
  const message = `The test run left ${found.length} process(es) running after its last test file (now killed):\n${list}`;
  const error = new Error(message);
  error.stack = message;
  throw error;
}
