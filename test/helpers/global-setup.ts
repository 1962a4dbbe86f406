/**
 * Jest globalSetup of the integration tests (it runs only when integration test files are selected):
 * installs the services the tests start privately (Redis, a Kafka broker), the local platform's
 * Python/Java/Go runtime parts and Chromium when they are missing, through scripts/services/ensure.sh. Each test file then starts its own servers on free ports and
 * stops them (test/helpers/services.ts). When a service cannot be installed (redis-server without
 * root), the run stops here with one message saying what to run, instead of failing every test that
 * needs it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { RUN_MARKER_ENV } from './global-teardown';

const ENSURE = join(__dirname, '../../scripts/services/ensure.sh');

export default async function globalSetup(): Promise<void> {
  // Inherited by the Jest workers and everything the tests start: global-teardown.ts finds leftovers by it.
  process.env[RUN_MARKER_ENV] = randomUUID();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn('bash', [ENSURE, 'redis', 'kafka', 'runtimes', 'chromium'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ code: exitCode, stderr }));
  });
  if (code !== 0) {
    const message = `The integration tests need Redis, Kafka, the runtimes' parts and Chromium: ${stderr.trim() || `scripts/services/ensure.sh exited with ${String(code)}`}`;
    const error = new Error(message);
    // One message, without a stack trace that would only point here.
    error.stack = message;
    throw error;
  }
  // What was installed (nothing when all was there).
  if (stderr.trim()) process.stderr.write(`\n${stderr}`);
}
