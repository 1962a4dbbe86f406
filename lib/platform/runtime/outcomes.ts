/** Outcomes the pool gives without running the action. */
import * as messages from './messages';
import type { RunOutcome } from './types';

/** The platform could not provide a container (shutting down, no process could be spawned). */
export function internalErrorOutcome(requestedAt: number): RunOutcome {
  const now = Date.now();
  return {
    status: 'whisk internal error',
    result: { error: messages.resourceProvisionError },
    logs: [],
    start: now,
    end: now,
    waitTime: now - requestedAt,
    cold: false,
    containerId: '',
    timedOut: false,
  };
}
