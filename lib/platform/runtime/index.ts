/**
 * The Node.js action runtime of the local platform: actions run in separate Node.js processes that
 * speak OpenWhisk's action proxy protocol, managed by a container pool like the invoker's.
 */
import { detectHostRuntimes, goBuildCacheDir, type HostRuntimes } from './host-runtimes';
import { ContainerPool } from './pool';
import { resolveActionNodePath, resolveProxyPath } from './proxy-path';
import { checkRuntimeOptions, defaultUserMemoryMb } from './runtime-options';
import { Sandbox, type MemoryEnforcement } from './sandbox';
import { defaultMaxConcurrentStarts } from './start-gate';
import type { ActionRuntime } from './types';

export type { ActionRuntime, RunnableAction, RunOutcome, RunRequest, RunStatus, RuntimeStats } from './types';
export { ACTIVATION_SENTINEL } from './messages';
export { CONTAINER_NICE_RANGE, defaultUserMemoryMb } from './runtime-options';
export { detectHostRuntimes, type HostRuntimes } from './host-runtimes';
export { KindCatalog, type RunnableKind } from './kinds';

export interface NodeRuntimeOptions {
  /**
   * Containers starting at once (process start and /init); further cold starts wait for a slot.
   * @default twice the machine's cores, at least 4
   */
  maxConcurrentStarts?: number;
  /**
   * The invoker's user memory: the sum of the memory limits (MB) of the containers held at once,
   * across all actions (OpenWhisk's `whisk.container-pool.user-memory`). With the default action
   * memory of 256 MB, 8192 MB hold 32 containers; a warm Node.js container really uses ~50-60 MB.
   * @default as many 256 MB containers as half the machine's memory holds at 64 MB each, 1024..65536
   * (see defaultUserMemoryMb in runtime-options.ts)
   */
  userMemoryMb?: number;
  /**
   * An additional cap on the number of containers (processes), whatever their memory limits.
   * @default no cap: the memory budget decides
   */
  maxContainers?: number;
  /**
   * How long an idle container stays warm before it is stopped.
   * @default 600000 (10 minutes, the invoker's default)
   */
  idleTimeoutMs?: number;
  /**
   * Started Node.js processes kept ready (with 256 MB, OpenWhisk's default action memory), so that
   * a cold start only initializes the action; they appear in `stats()` once they serve an action.
   * The first is started after the first cold start, not when the runtime is created.
   * @default 1
   */
  prewarmCount?: number;
  /**
   * The Node.js executable containers run on.
   * @default process.execPath
   */
  nodePath?: string;
  /**
   * NODE_PATH of the containers: where actions find preinstalled packages such as `openwhisk`.
   * @default whiskflow's own node_modules
   */
  moduleSearchPath?: string;
  /**
   * The compiled action proxy the containers run.
   * @default dist/lib/platform/runtime/proxy.js (see proxy-path.ts)
   */
  proxyPath?: string;
  /**
   * Niceness (0..19) of the container processes, relative to the platform process. On a real
   * deployment the controller, the invoker and CouchDB run on machines of their own; on one small
   * machine the user actions compete with them for CPU, and under load every store and API
   * request queues behind action code. A positive value lets the control plane (and the embedded
   * CouchDB, which stays at the platform's priority) go first, as it would with machines of its
   * own; 0 runs the containers at the platform's priority. Unprivileged processes can only lower
   * their priority, so this never needs root.
   * @default DEFAULT_CONTAINER_NICE
   */
  containerNice?: number;
  /**
   * What runs each kind on this machine (Node.js in the proxy; Python, Java and Go by launchers).
   * @default detectHostRuntimes({ nodePath })
   */
  host?: HostRuntimes;
  /**
   * How an action's memory limit is held over the container's whole process tree: 'auto' uses a
   * memory cgroup per container when the platform may create them (root on cgroup v1), else reads
   * the tree's resident memory from /proc every 100 ms; 'poll' always does the latter.
   * @default 'auto'
   */
  memoryEnforcement?: MemoryEnforcement;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_PREWARM_COUNT = 1;
/**
 * On by default: with the containers at the platform's priority, a 1,000-task fan-out's join waited
 * seconds behind action code on a 2-core machine, and the fan-out took longer too (README, "The
 * local platform").
 */
export const DEFAULT_CONTAINER_NICE = 10;

/** Throws InvalidInputError when a numeric option is out of its range (see runtime-options.ts). */
export function createNodeRuntime(options: NodeRuntimeOptions = {}): ActionRuntime {
  checkRuntimeOptions(options);
  const sandbox = Sandbox.create(options.memoryEnforcement);
  const nodePath = options.nodePath ?? process.execPath;
  const proxyPath = options.proxyPath ?? resolveProxyPath();
  const moduleSearchPath = options.moduleSearchPath ?? resolveActionNodePath();
  try {
    sandbox.checkReachable(nodePath, [proxyPath, moduleSearchPath]);
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
  // Go actions build at /init as the container user, into the shared build cache.
  sandbox.giveSharedTree(goBuildCacheDir());
  return new ContainerPool({
    userMemoryMb: options.userMemoryMb ?? defaultUserMemoryMb(),
    maxContainers: options.maxContainers ?? Number.POSITIVE_INFINITY,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    prewarmCount: options.prewarmCount ?? DEFAULT_PREWARM_COUNT,
    nodePath,
    proxyPath,
    moduleSearchPath,
    containerNice: options.containerNice ?? DEFAULT_CONTAINER_NICE,
    host: options.host ?? detectHostRuntimes(options.nodePath === undefined ? {} : { nodePath: options.nodePath }),
    sandbox,
    maxConcurrentStarts: options.maxConcurrentStarts ?? defaultMaxConcurrentStarts(),
  });
}
