/**
 * CPU time and memory of processes from Linux /proc, so a benchmark can charge CPU to the platform
 * process and to its container children separately. Linux only; elsewhere these return undefined.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every mainstream Linux (USER_HZ). */
const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcCpu {
  /** CPU the process itself used (utime + stime), in ms. */
  selfMs: number;
  /** CPU of children that exited and were waited for (cutime + cstime), in ms. */
  reapedChildrenMs: number;
}

interface ProcStat {
  pid: number;
  ppid: number;
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  rssPages: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: split after its closing paren.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state) of proc(5), so field k is fields[k - 3].
  const field = (k: number) => Number(fields[k - 3]);
  return { pid, ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17), rssPages: field(24) };
}

const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS_PER_SECOND;

export function readCpu(pid: number): ProcCpu | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  return { selfMs: ticksToMs(stat.utime + stat.stime), reapedChildrenMs: ticksToMs(stat.cutime + stat.cstime) };
}

/** Every live descendant of `pid` (children, grandchildren, ...). */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    byParent.set(stat.ppid, siblings);
  }
  const found: number[] = [];
  const queue = [...(byParent.get(pid) ?? [])];
  while (queue.length) {
    const next = queue.shift() as number;
    found.push(next);
    queue.push(...(byParent.get(next) ?? []));
  }
  return found;
}

export interface ChildrenCpu {
  /** Live descendants whose command line matches `separate`, e.g. the embedded CouchDB. */
  separatedMs: number;
  /** Every other live descendant plus the children already reaped by `pid` (exited containers). */
  otherMs: number;
}

/**
 * CPU ms used so far by the descendants of `pid`, split by command line. Reaped children cannot be
 * told apart any more, so they count as `other`: keep `separate` for processes that outlive the run.
 */
export function childrenCpuMs(pid: number, separate: RegExp): ChildrenCpu | undefined {
  const own = readCpu(pid);
  if (!own) return undefined;
  const result: ChildrenCpu = { separatedMs: 0, otherMs: own.reapedChildrenMs };
  for (const child of descendants(pid)) {
    const cpu = readCpu(child);
    if (!cpu) continue;
    const used = cpu.selfMs + cpu.reapedChildrenMs;
    if (separate.test(commandLine(child))) result.separatedMs += used;
    else result.otherMs += used;
  }
  return result;
}

/** Resident set size in bytes, from /proc/<pid>/status VmRSS (the stat field needs the page size). */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * Proportional set size in bytes (/proc/<pid>/smaps_rollup): the process's own pages plus its share
 * of pages shared with others (the node binary's, for a container). What a process adds to the
 * machine's memory use, where RSS counts the shared pages in full for every process.
 */
export function pssBytes(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
