/**
 * Ends the container when the platform process is gone. The IPC 'disconnect' event covers most
 * deaths, but it needs the container's event loop, which an action stuck in a synchronous loop never
 * gives back; so a small worker thread also checks the parent pid and kills the whole process from
 * outside the blocked main thread.
 */
import { Worker } from 'node:worker_threads';

const CHECK_INTERVAL_MS = 1000;

// Raw: the regular expressions and strings below keep their backslashes.
const WATCHDOG_SOURCE = String.raw`
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid === workerData.parentPid) return;
  const fs = require('node:fs');
  if (workerData.workDir) fs.rmSync(workerData.workDir, { recursive: true, force: true });
  // The container's memory cgroup (memory-cgroup.ts) lists what the action started, however
  // detached; its processes run as this one's user, so they may be killed from here.
  try {
    const group = /^\d+:(?:[^:]*,)?memory(?:,[^:]*)?:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))[1];
    // Only a container's own group, never the one it shares with others when it has none.
    if (!/\/whiskflow-\d+-\d+\/[^/]+$/.test(group)) throw new Error('not a container group');
    const mount = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' '))
      .find((fields) => fields[2] === 'cgroup' && (fields[3] || '').split(',').includes('memory'))[1];
    const procs = fs.readFileSync(mount + group + '/cgroup.procs', 'utf8').split('\n').filter(Boolean).map(Number);
    for (const pid of procs) if (pid !== process.pid) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  } catch { /* no memory cgroup */ }
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
