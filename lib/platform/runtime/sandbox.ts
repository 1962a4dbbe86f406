/**
 * What stands in for Docker around each container process: the user it runs as (container-user.ts),
 * its memory limit over its whole process tree (a memory cgroup, else the memory guard), and the
 * guarantee that everything it started dies with it. One Sandbox per pool; one Confinement per
 * container process.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServiceMissingError } from '../../errors';
import { chooseContainerUser, type ContainerUser } from './container-user';
import { openMemoryCgroups, type ContainerCgroup, type MemoryCgroups } from './memory-cgroup';
import { guardMemory, isOverLimit, type GuardedContainer } from './memory-guard';
import { descendantsOf, killIfSame, readProcessTable } from './process-tree';

const BYTES_PER_MB = 1024 * 1024;

/** How the memory limit is held: by the kernel (a cgroup, when the platform may create them) or by polling /proc. */
export type MemoryEnforcement = 'auto' | 'poll';

export class Sandbox {
  private constructor(
    /** Undefined: containers run as the platform's user (it is not root). */
    readonly user: ContainerUser | undefined,
    private readonly cgroups: MemoryCgroups | undefined,
  ) {}

  static create(memoryEnforcement: MemoryEnforcement = 'auto'): Sandbox {
    return new Sandbox(chooseContainerUser(), memoryEnforcement === 'auto' ? openMemoryCgroups() : undefined);
  }

  /** True when the kernel holds the containers' memory limits. */
  get usesCgroups(): boolean {
    return this.cgroups !== undefined;
  }

  /**
   * Throws ServiceMissingError naming what the container user cannot run or read (a checkout or
   * Node.js under root's 0700 home): every container would fail to start otherwise, with less
   * telling errors.
   */
  checkReachable(nodePath: string, paths: string[]): void {
    const user = this.user;
    if (user === undefined) return;
    const check = 'const fs = require("node:fs"); for (const p of process.argv.slice(1)) { try { fs.accessSync(p, fs.constants.R_OK); } catch { console.log(p); } }';
    const result = spawnSync(nodePath, ['-e', check, ...paths], { uid: user.uid, gid: user.gid, cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    // A missing Node.js is not the user's problem: containers then fail to start as whisk internal errors.
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return;
    const unreadable = result.status === 0 ? result.stdout.split('\n').filter(Boolean) : [nodePath];
    if (unreadable.length === 0) return;
    throw new ServiceMissingError(
      `the action runtime for user ${user.name}`,
      `action containers run as ${user.name} (uid ${user.uid}) because the platform runs as root, and ${user.name} cannot use ${unreadable.join(', ')}: `
        + 'put whiskflow and Node.js where other users can read them (e.g. not under /root), or make their parent directories readable (chmod o+rx)',
    );
  }

  /** Hands a directory the platform made to the container user (a no-op without one). */
  giveDirectory(dir: string): void {
    if (this.user) fs.chownSync(dir, this.user.uid, this.user.gid);
  }

  /**
   * Makes a directory tree shared by containers (the Go build cache) the container user's, so that
   * they can write to it; symbolic links are changed, never followed.
   */
  giveSharedTree(dir: string): void {
    const user = this.user;
    if (user === undefined || !fs.existsSync(dir)) return;
    const visit = (entry: string): void => {
      const stat = fs.lstatSync(entry);
      if (stat.uid !== user.uid || stat.gid !== user.gid) fs.lchownSync(entry, user.uid, user.gid);
      if (stat.isDirectory()) for (const child of fs.readdirSync(entry)) visit(path.join(entry, child));
    };
    try {
      visit(dir);
    } catch {
      // Best effort: a container that cannot write the cache fails its Go /init with the compiler's message.
    }
  }

  confine(name: string, memoryMb: number): Confinement {
    let cgroup: ContainerCgroup | undefined;
    try {
      cgroup = this.cgroups?.create(name, memoryMb);
    } catch {
      // e.g. too many groups: this container is watched by polling instead
    }
    return new Confinement(Math.max(1, memoryMb) * BYTES_PER_MB, cgroup);
  }

  /** Synchronous, for the platform's 'exit' handler too. */
  dispose(): void {
    this.cgroups?.dispose();
  }
}

/** One container process's memory limit and process tree. */
export class Confinement {
  /** The container went over its memory limit (seen by the guard, or the kernel's OOM killer). */
  outOfMemory = false;

  private readonly guarded: GuardedContainer;
  private stopGuard: (() => void) | undefined;

  constructor(limitBytes: number, private cgroup: ContainerCgroup | undefined) {
    this.guarded = { rootPid: 0, limitBytes, seen: new Map(), onExceeded: () => undefined };
    if (cgroup) this.guarded.cgroup = cgroup;
  }

  /** Takes the started process in (before it can have started anything) and starts watching it. */
  adopt(pid: number, onExceeded: () => void): void {
    if (this.cgroup) {
      try {
        this.cgroup.add(pid);
      } catch {
        void this.cgroup.remove();
        this.cgroup = undefined;
        delete this.guarded.cgroup;
      }
    }
    this.guarded.rootPid = pid;
    this.guarded.onExceeded = () => {
      this.outOfMemory = true;
      onExceeded();
    };
    // With a cgroup the kernel holds the limit: its OOM kills are read after each answer of the
    // proxy (exceededNow) and when it exits, so no timer needs to read them for every container.
    if (this.cgroup === undefined) this.stopGuard = guardMemory(this.guarded);
  }

  /** With a cgroup, reads the kernel's OOM kills now; without one, the guard's last finding (reading /proc per activation would cost too much). */
  exceededNow(): boolean {
    if (!this.outOfMemory && this.cgroup && this.cgroup.oomKills() > 0) this.outOfMemory = true;
    return this.outOfMemory;
  }

  /**
   * Without a cgroup, reads the proxy's process tree now, so that what it started since the guard's
   * last look (an interval ago, longer on a loaded machine) is killed at teardown too. Only while the
   * proxy runs: after it exited, its pid may be another process's.
   */
  lookAgain(): void {
    if (this.cgroup || this.guarded.rootPid <= 0) return;
    for (const process of descendantsOf(this.guarded.rootPid, readProcessTable())) this.guarded.seen.set(process.pid, process);
  }

  /** SIGKILLs every process of the container, synchronously. */
  killAll(): void {
    if (this.cgroup) return this.cgroup.killAll();
    for (const seen of this.guarded.seen.values()) killIfSame(seen);
  }

  /**
   * After the proxy exited: records whether memory ended it, kills what it left behind (a
   * detached child), and removes its cgroup.
   */
  async release(): Promise<void> {
    this.stopGuard?.();
    this.stopGuard = undefined;
    if (this.cgroup && isOverLimit(this.guarded)) this.outOfMemory = true;
    this.killAll();
    await this.cgroup?.remove();
  }
}
