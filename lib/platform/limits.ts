/**
 * System limits of the local platform: the per-action bounds that entity validation enforces, and the
 * per-namespace throttles. Stock values are the real OpenWhisk defaults; local defaults are generous
 * so that tests and demos are not throttled on a laptop.
 */

export interface ActionLimitBounds {
  timeout: { min: number; max: number; std: number };
  memory: { min: number; max: number; std: number };
  logs: { min: number; max: number; std: number };
  concurrency: { min: number; max: number; std: number };
}

export interface ThrottleLimits {
  /** Action invocations per namespace per minute (`actions.invokes.perMinute`). */
  invocationsPerMinute: number;
  /** Activations in flight per namespace (`actions.invokes.concurrent`). */
  concurrentInvocations: number;
  /** Trigger fires per namespace per minute (`triggers.fires.perMinute`). */
  firesPerMinute: number;
}

export interface SystemLimits {
  action: ActionLimitBounds;
  throttles: ThrottleLimits;
  /** Size of an invoke or fire payload, and of an action's parameters (`MAX_ACTIVATION_ENTITY_LIMIT`). */
  payloadBytes: number;
  /** Size of an action's exec: code plus entry point (`whisk.exec-size-limit`, 48 MB). */
  codeBytes: number;
  /**
   * Size of an entity's parameters, and of its annotations, each counted as OpenWhisk's
   * Parameters.size (`whisk.parameter-size-limit`, 1 MB).
   */
  parameterBytes: number;
  /** Atomic actions in a sequence (`actionSequenceLimit`); also bounds conductor compositions. */
  sequenceMaxLength: number;
  /** How long a blocking invoke waits before answering 202 (`maxWaitForBlockingActivation`). */
  blockingWaitMs: number;
}

const MB = 1024 * 1024;

export const STOCK_LIMITS: SystemLimits = {
  action: {
    timeout: { min: 100, max: 300_000, std: 60_000 },
    memory: { min: 128, max: 512, std: 256 },
    logs: { min: 0, max: 10, std: 10 },
    concurrency: { min: 1, max: 1, std: 1 },
  },
  throttles: { invocationsPerMinute: 120, concurrentInvocations: 100, firesPerMinute: 60 },
  payloadBytes: 1 * MB,
  codeBytes: 48 * MB,
  parameterBytes: 1 * MB,
  sequenceMaxLength: 50,
  blockingWaitMs: 60_000,
};

/** Local defaults: real action bounds (so that deployments valid here are valid there), high throttles. */
export const LOCAL_LIMITS: SystemLimits = {
  ...STOCK_LIMITS,
  action: { ...STOCK_LIMITS.action, concurrency: { min: 1, max: 500, std: 1 } },
  throttles: { invocationsPerMinute: 100_000, concurrentInvocations: 10_000, firesPerMinute: 100_000 },
};

export interface LimitOverrides {
  throttles?: Partial<ThrottleLimits>;
  blockingWaitMs?: number;
  sequenceMaxLength?: number;
  payloadBytes?: number;
}

export function resolveLimits(stock: boolean, overrides: LimitOverrides = {}): SystemLimits {
  const base = stock ? STOCK_LIMITS : LOCAL_LIMITS;
  return {
    ...base,
    throttles: { ...base.throttles, ...overrides.throttles },
    blockingWaitMs: overrides.blockingWaitMs ?? base.blockingWaitMs,
    sequenceMaxLength: overrides.sequenceMaxLength ?? base.sequenceMaxLength,
    payloadBytes: overrides.payloadBytes ?? base.payloadBytes,
  };
}
