/**
 * Which process made a task claim, so that a claim whose claimer is known to have ended need not
 * wait out its lease. A Rule Engine killed between its claim and its invoke (or the record of the
 * activation id) leaves a claim that no one may take over before the lease (60 s) is over, since a
 * live claimer may be invoking right now. When the claimer ran on this machine, in this pid
 * namespace, and its process is gone (or its pid now belongs to a process started later), it
 * invokes nothing more: the claim is taken over at once, by the same compare-and-swap as after the
 * lease. Anything that cannot be told for sure (another host, another pid namespace, /proc not
 * readable, an older claim without the field) keeps the lease.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ClaimerProcess {
  host: string;
  pid: number;
  /** `/proc/self/ns/pid` (Linux): equal pids of different namespaces are different processes. */
  pidNamespace?: string;
  /** Field 22 of `/proc/<pid>/stat` (Linux): when the process started, to tell a reused pid. */
  startTicks?: string;
}

function pidNamespaceOf(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** State and start time from `/proc/<pid>/stat` (the command name in parentheses may hold spaces). */
function statOf(pid: number | 'self'): { state: string; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the name: state is field 3, starttime field 22 of the whole line.
    return { state: fields[0] ?? '', startTicks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

let current: ClaimerProcess | undefined;

/** This process, as claims record it. */
export function thisProcess(): ClaimerProcess {
  if (!current) {
    const namespace = pidNamespaceOf('self');
    const startTicks = statOf('self')?.startTicks;
    current = { host: hostname(), pid: process.pid, ...(namespace ? { pidNamespace: namespace } : {}), ...(startTicks ? { startTicks } : {}) };
  }
  return current;
}

/** True only when the claimer surely invokes nothing more: a process of this host and pid namespace that is gone. */
export function claimerHasEnded(claimer: ClaimerProcess | undefined): boolean {
  if (!claimer || typeof claimer.pid !== 'number' || !Number.isInteger(claimer.pid) || claimer.pid <= 0) return false;
  const me = thisProcess();
  if (claimer.host !== me.host || claimer.pidNamespace !== me.pidNamespace) return false;
  if (claimer.pid === me.pid) return claimer.startTicks !== undefined && me.startTicks !== undefined && claimer.startTicks !== me.startTicks;
  try {
    process.kill(claimer.pid, 0);
  } catch (error) {
    // ESRCH: no such process. EPERM: it exists (another user's): alive for all we know.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = statOf(claimer.pid);
  if (!stat) return false;
  // A zombie has ended (its parent has not reaped it yet); a later process under the same pid is not the claimer.
  if (stat.state === 'Z' || stat.state === 'X') return true;
  return claimer.startTicks !== undefined && stat.startTicks !== claimer.startTicks;
}
