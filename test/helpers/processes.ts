/**
 * The machine's processes as /proc lists them (Linux), for the test run's leak check: which ones
 * descend from a process, and which ones carry a marker in the environment they were started with.
 * Other users' processes (and ones that end while being read) are skipped.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    // A zombie has been killed and only waits for its parent to reap it: it holds nothing.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return { pid, ppid, command };
  } catch {
    return undefined;
  }
}

export function listProcesses(): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProcess(Number(name));
    if (info) processes.push(info);
  }
  return processes;
}

/** Every living process below `root` (children, their children, ...), not `root` itself. */
export function descendantsOf(root: number, processes = listProcesses()): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const info of processes) children.set(info.ppid, [...(children.get(info.ppid) ?? []), info]);
  const found: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Living processes whose start-time environment holds `name=value`: it is inherited by everything
 * a test starts, also by servers that daemonize or are started with nohup and so leave the tree.
 */
export function processesWithEnv(name: string, value: string, processes = listProcesses()): ProcessInfo[] {
  const entry = `${name}=${value}`;
  return processes.filter((info) => {
    try {
      return readFileSync(`/proc/${info.pid}/environ`, 'utf8').split('\0').includes(entry);
    } catch {
      return false;
    }
  });
}
