/**
 * Memory cgroups (Linux cgroup v1 memory controller), as Docker gives each OpenWhisk container one:
 * the action's memory limit then bounds every byte its processes use (buffers, native memory,
 * children), the kernel's OOM killer enforces it, and the cgroup lists every process the action
 * started, however detached, so that teardown kills them all. They need a writable memory hierarchy
 * (root, or a delegated one); `openMemoryCgroups()` answers undefined otherwise and the platform
 * falls back to watching the process tree (memory-guard.ts).
 *
 * cgroup v2 is not used: a child group with the memory controller needs it enabled in the
 * platform's own group, which the "no internal processes" rule forbids while the platform is in it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const BYTES_PER_MB = 1024 * 1024;
const GROUP_PREFIX = 'whiskflow-';
/** Tries to empty a group before removing it: processes being killed leave it a moment later. */
const REMOVE_ATTEMPTS = 50;
const REMOVE_RETRY_MS = 20;
const KILL_ROUNDS = 10;
/** Pools opened by this process (tests start several platforms in one process). */
let opened = 0;

/** The platform's directory of container groups. */
export class MemoryCgroups {
  private constructor(readonly dir: string) {}

  static open(hierarchy: string): MemoryCgroups | undefined {
    opened += 1;
    const dir = path.join(hierarchy, `${GROUP_PREFIX}${process.pid}-${opened}`);
    try {
      removeStaleGroups(hierarchy);
      fs.mkdirSync(dir, { recursive: true });
      // Writable limits are what counts (a read-only or foreign hierarchy fails here).
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), '-1');
      return new MemoryCgroups(dir);
    } catch {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not created
      }
      return undefined;
    }
  }

  /** A group for one container, limited to `memoryMb` (memory and memory+swap, as OpenWhisk runs Docker). */
  create(name: string, memoryMb: number): ContainerCgroup {
    const dir = path.join(this.dir, name);
    fs.mkdirSync(dir);
    const group = new ContainerCgroup(dir);
    try {
      group.limit(memoryMb);
    } catch (error) {
      fs.rmdirSync(dir);
      throw error;
    }
    return group;
  }

  /** Removes the platform's directory (its container groups are removed as containers stop). */
  dispose(): void {
    removeGroupTree(this.dir);
  }
}

export class ContainerCgroup {
  constructor(readonly dir: string) {}

  limit(memoryMb: number): void {
    const bytes = String(Math.max(1, Math.floor(memoryMb * BYTES_PER_MB)));
    fs.writeFileSync(path.join(this.dir, 'memory.limit_in_bytes'), bytes);
    try {
      // Without swap accounting the file is missing: then swap cannot be bounded, nor used past the limit on most hosts.
      fs.writeFileSync(path.join(this.dir, 'memory.memsw.limit_in_bytes'), bytes);
    } catch {
      // no swap accounting
    }
  }

  add(pid: number): void {
    fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(pid));
  }

  /** How many times the kernel killed one of its processes for going over the limit. */
  oomKills(): number {
    try {
      const match = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(this.dir, 'memory.oom_control'), 'utf8'));
      if (match) return Number(match[1]);
      // Kernels before 4.13 have no oom_kill counter: a limit hit at all is the best sign left.
      return Number(fs.readFileSync(path.join(this.dir, 'memory.failcnt'), 'utf8').trim()) > 0 ? 1 : 0;
    } catch {
      return 0;
    }
  }

  /** SIGKILLs every process in the group, synchronously (also usable in a process 'exit' handler). */
  killAll(): void {
    killGroupMembers(this.dir);
  }

  /** Kills what is left and removes the group. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < REMOVE_ATTEMPTS; attempt++) {
      killGroupMembers(this.dir);
      try {
        fs.rmdirSync(this.dir);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      }
      await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS));
    }
  }
}

/** The writable cgroup v1 memory hierarchy this process is in, or undefined. */
export function openMemoryCgroups(): MemoryCgroups | undefined {
  const mount = memoryMountPoint();
  if (mount === undefined) return undefined;
  const own = ownMemoryGroup();
  // Inside a container the group path may not exist under the mount: use the mount's root then.
  const candidates = own !== undefined ? [path.join(mount, own), mount] : [mount];
  for (const candidate of candidates) {
    if (!fs.existsSync(path.join(candidate, 'cgroup.procs'))) continue;
    const opened = MemoryCgroups.open(candidate);
    if (opened) return opened;
  }
  return undefined;
}

function memoryMountPoint(): string | undefined {
  try {
    for (const line of fs.readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const [, mountPoint, type, options] = line.split(' ');
      if (type === 'cgroup' && options?.split(',').includes('memory') && mountPoint) return mountPoint;
    }
  } catch {
    // not Linux
  }
  return undefined;
}

function ownMemoryGroup(): string | undefined {
  try {
    for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
      const [, controllers, groupPath] = line.split(':');
      if (controllers?.split(',').includes('memory') && groupPath) return groupPath;
    }
  } catch {
    // not Linux
  }
  return undefined;
}

function killGroupMembers(dir: string): void {
  for (let round = 0; round < KILL_ROUNDS; round++) {
    let pids: string[];
    try {
      pids = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
    } catch {
      return;
    }
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Kills and removes a group and its subgroups, deepest first; best effort, synchronous. */
function removeGroupTree(dir: string): void {
  let entries: fs.Dirent[] = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isDirectory()) removeGroupTree(path.join(dir, entry.name));
  killGroupMembers(dir);
  try {
    fs.rmdirSync(dir);
  } catch {
    // still busy (processes exiting): a later platform start removes it
  }
}

/** Groups left by platforms that died without stopping (their pid no longer runs). */
function removeStaleGroups(hierarchy: string): void {
  for (const entry of fs.readdirSync(hierarchy, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith(GROUP_PREFIX)) continue;
    const pid = Number(entry.name.slice(GROUP_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    removeGroupTree(path.join(hierarchy, entry.name));
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
