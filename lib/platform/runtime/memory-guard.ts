/**
 * Where no memory cgroup holds a container, this is its memory limit: one timer for every such
 * container reads the resident memory of its process tree from /proc (one pass over /proc for all
 * of them per check) and has a container over its limit killed, as Docker's OOM kill ends an
 * OpenWhisk container. With a cgroup, `isOverLimit` reads the kernel's OOM kills instead.
 */
import type { ContainerCgroup } from './memory-cgroup';
import { descendantsOf, readProcessTable, residentBytes, type SeenProcess } from './process-tree';

/** Short enough that a runaway allocation is stopped within a few hundred MB at memory speed. */
export const MEMORY_CHECK_INTERVAL_MS = 100;

export interface GuardedContainer {
  /** The proxy's pid. */
  rootPid: number;
  limitBytes: number;
  /** Set: the kernel enforces the limit; `isOverLimit` reads its OOM kills. */
  cgroup?: ContainerCgroup;
  /** Without a cgroup: every process of the container seen so far, by pid (teardown kills them). */
  seen: Map<number, SeenProcess>;
  onExceeded(): void;
}

const guarded = new Set<GuardedContainer>();
let timer: NodeJS.Timeout | undefined;

/** Watches `container` until the returned function is called. */
export function guardMemory(container: GuardedContainer): () => void {
  guarded.add(container);
  if (timer === undefined) {
    timer = setInterval(checkAll, MEMORY_CHECK_INTERVAL_MS);
    // The guard must not keep the platform alive by itself.
    timer.unref();
  }
  return () => {
    guarded.delete(container);
    if (guarded.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** True when `container` is over its limit now (or the kernel already killed one of its processes for it). */
export function isOverLimit(container: GuardedContainer, table = container.cgroup ? undefined : readProcessTable()): boolean {
  if (container.cgroup) return container.cgroup.oomKills() > 0;
  let total = 0;
  for (const seen of descendantsOf(container.rootPid, table ?? new Map())) {
    container.seen.set(seen.pid, seen);
    total += residentBytes(seen.pid);
  }
  return total > container.limitBytes;
}

function checkAll(): void {
  const table = readProcessTable();
  for (const container of [...guarded]) {
    if (isOverLimit(container, table)) {
      guarded.delete(container);
      container.onExceeded();
    }
  }
}
