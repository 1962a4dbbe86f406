/**
 * Ends the container when the platform process is gone. The IPC 'disconnect' event covers most
 * deaths, but it needs the container's event loop, which an action stuck in a synchronous loop never
 * gives back; so a small worker thread also checks the parent pid and kills the whole process from
 * outside the blocked main thread.
 */
import { Worker } from 'node:worker_threads';

const CHECK_INTERVAL_MS = 1000;

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid === workerData.parentPid) return;
  if (workerData.workDir) require('node:fs').rmSync(workerData.workDir, { recursive: true, force: true });
  // The container leads its own process group (proxy-process.ts): the group takes a loop
  // launcher (a Python, Java or Go process) down with it.
  try { process.kill(-process.pid, 'SIGKILL'); } catch { /* not a group leader */ }
  process.kill(process.pid, 'SIGKILL');
}, workerData.intervalMs);
`;

/** Starts the watchdog; the proxy handles the IPC 'disconnect' itself. */
/** @param workDir the container's own directory, removed before the kill since nobody else will. */
export function exitWhenParentDies(parentPid: number, workDir: string | undefined): void {
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { parentPid, workDir, intervalMs: CHECK_INTERVAL_MS },
    resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 },
    stdout: false,
    stderr: false,
  });
  // The watchdog must not keep the container alive by itself.
  worker.unref();
}
