/**
 * The processes of a container as Linux's /proc shows them: its descendants (found by parent pid),
 * their resident memory, and killing them. Used where no memory cgroup can hold a container (the
 * platform is not root): a descendant is only found while its parent lives, so the container's
 * processes are remembered as they are seen, with their start times, to kill them at teardown even
 * after they were orphaned (a detached `setsid` child), without killing an unrelated process that
 * reused the pid.
 */
import * as fs from 'node:fs';

const PAGE_BYTES = 4096;

/** A process as seen once: pid plus start time (clock ticks since boot), which tells pid reuse apart. */
export interface SeenProcess {
  pid: number;
  startTime: string;
}

interface ProcessStat {
  ppid: number;
  startTime: string;
}

/** Every process's parent and start time, read once for all the containers checked in one pass. */
export function readProcessTable(): Map<number, ProcessStat> {
  const table = new Map<number, ProcessStat>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return table;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) table.set(Number(entry), stat);
  }
  return table;
}

/** `root` and its descendants in `table`. */
export function descendantsOf(root: number, table: Map<number, ProcessStat>): SeenProcess[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of table) {
    const list = children.get(stat.ppid);
    if (list) list.push(pid); else children.set(stat.ppid, [pid]);
  }
  const found: SeenProcess[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const stat = table.get(pid);
    if (stat === undefined) continue;
    found.push({ pid, startTime: stat.startTime });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Resident set size in bytes (0 when the process is gone). */
export function residentBytes(pid: number): number {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(pages) ? pages * PAGE_BYTES : 0;
  } catch {
    return 0;
  }
}

/** SIGKILLs the process if it is still the one that was seen (same start time). */
export function killIfSame(process_: SeenProcess): void {
  if (readStat(process_.pid)?.startTime !== process_.startTime) return;
  try {
    process.kill(process_.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function readStat(pid: number): ProcessStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after its end.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields from 3 on: state, ppid (4), ..., starttime (22).
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}
