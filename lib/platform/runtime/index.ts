/**
 * The Node.js action runtime of the local platform: actions run in separate Node.js processes that
 * speak OpenWhisk's action proxy protocol, managed by a container pool like the invoker's.
 */
import { ContainerPool } from './pool';
import { resolveActionNodePath, resolveProxyPath } from './proxy-path';
import type { ActionRuntime } from './types';

export type { ActionRuntime, RunnableAction, RunOutcome, RunRequest, RunStatus, RuntimeStats } from './types';
export { ACTIVATION_SENTINEL } from './messages';

export interface NodeRuntimeOptions {
  /**
   * Containers (processes) the machine may hold at once, across all actions.
   * @default 16 (about 50 MB each when idle; a 2-core machine cannot run more at once anyway)
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
}

export const DEFAULT_MAX_CONTAINERS = 16;
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60 * 1000;
export const DEFAULT_PREWARM_COUNT = 1;

export function createNodeRuntime(options: NodeRuntimeOptions = {}): ActionRuntime {
  return new ContainerPool({
    maxContainers: Math.max(1, options.maxContainers ?? DEFAULT_MAX_CONTAINERS),
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    prewarmCount: Math.max(0, options.prewarmCount ?? DEFAULT_PREWARM_COUNT),
    nodePath: options.nodePath ?? process.execPath,
    proxyPath: options.proxyPath ?? resolveProxyPath(),
    moduleSearchPath: options.moduleSearchPath ?? resolveActionNodePath(),
  });
}
