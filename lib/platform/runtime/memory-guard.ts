/**
 * One timer for every container: finds those over their memory limit and has them killed, as
 * Docker's OOM kill ends an OpenWhisk container. With a memory cgroup the kernel enforces the limit
 * and this only notices that it did (it may have killed a child, not the proxy: the container goes
 * anyway); without one, this is the limit: the resident memory of the container's process tree,
 * read from /proc (one pass over /proc for all containers per check).
 */
import type { ContainerCgroup } from './memory-cgroup';
import { descendantsOf, readProcessTable, residentBytes, type SeenProcess } from './process-tree';

/** Short enough that a runaway allocation is stopped within a few hundred MB at memory speed. */
export const MEMORY_CHECK_INTERVAL_MS = 100;

export interface GuardedContainer {
  /** The proxy's pid. */
  rootPid: number;
  limitBytes: number;
  /** Set: the kernel enforces the limit; the guard watches its OOM kills. */
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
  const watchesTree = [...guarded].some((container) => container.cgroup === undefined);
  const table = watchesTree ? readProcessTable() : undefined;
  for (const container of [...guarded]) {
    if (isOverLimit(container, table)) {
      guarded.delete(container);
      container.onExceeded();
    }
  }
}
