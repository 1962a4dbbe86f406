/**
 * The contract between the platform's controller (lib/platform/api, which records activations) and
 * the Node.js action runtime (lib/platform/runtime, which runs code in separate processes speaking
 * OpenWhisk's action proxy protocol: POST /init, POST /run).
 */

/** What the controller knows about an action when it asks the runtime to run it. */
export interface RunnableAction {
  /** Fully qualified name, e.g. `/guest/pkg/hello`; also the container pool key together with `revision`. */
  fqn: string;
  /** Changes whenever the action is updated, so that stale warm containers are not reused. */
  revision: string;
  namespace: string;
  kind: string;
  code: string;
  binary: boolean;
  /** Name of the exported function; OpenWhisk's default is `main`. */
  main: string;
  limits: { timeout: number; memory: number; logs: number; concurrency: number };
  /** Extra environment for the container (`__OW_*` values that are fixed per action). */
  env?: Record<string, string>;
}

/** One activation to run. */
export interface RunRequest {
  activationId: string;
  /** Parameters already merged (package defaults < action defaults < invoke body). */
  params: Record<string, unknown>;
  /** Namespace of the invoking subject, passed as `__OW_NAMESPACE`. */
  namespace: string;
  /** `namespace/package/action` as OpenWhisk puts it in `__OW_ACTION_NAME` (leading slash). */
  actionName: string;
  /** Epoch ms by which the run must finish (`__OW_DEADLINE`). */
  deadline: number;
  /** `uuid:key` of the invoking subject (`__OW_API_KEY`), so that actions can call back. */
  apiKey?: string;
  /** Where actions reach the platform (`__OW_API_HOST`). */
  apiHost: string;
  /**
   * Fires once, when the request is handed to a container (after queueing for a free slot), so that
   * the controller can record `waitTime` and count concurrent activations like the real invoker does.
   */
  onStart?: (info: { containerId: string; cold: boolean }) => void;
}

/** How a run ended, in OpenWhisk's terms (ActivationResponse status codes 0..3). */
export type RunStatus = 'success' | 'application error' | 'action developer error' | 'whisk internal error';

export interface RunOutcome {
  status: RunStatus;
  /** The action's result object; for errors `{ error: ... }` as OpenWhisk records it. */
  result: Record<string, unknown>;
  /** Log lines in OpenWhisk's format: `2024-01-01T00:00:00.000Z stdout: message`. */
  logs: string[];
  /** Epoch ms the container started running the activation (after init). */
  start: number;
  end: number;
  /** Milliseconds spent in /init; present only on a cold start. */
  initTime?: number;
  /** Milliseconds between the request and the container accepting it. */
  waitTime: number;
  cold: boolean;
  containerId: string;
  /** True when the action exceeded its time limit and its container was destroyed. */
  timedOut: boolean;
}

/** The runtime as the controller sees it. */
export interface ActionRuntime {
  run(action: RunnableAction, request: RunRequest): Promise<RunOutcome>;
  /** Drops warm containers of an action (after update or delete). */
  evict(fqn: string): Promise<void>;
  stats(): RuntimeStats;
  shutdown(): Promise<void>;
}

export interface RuntimeStats {
  containers: number;
  busy: number;
  queued: number;
  /** Resident set size of every live container, in bytes, by container id. */
  memoryByContainer: Record<string, number>;
}
