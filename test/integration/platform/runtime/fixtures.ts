/** Actions and requests for the runtime's integration tests. */
import type { RunnableAction, RunRequest } from '../../../../lib/platform/runtime/types';

let actionCount = 0;
let activationCount = 0;

export const API_HOST = 'http://127.0.0.1:1';
export const API_KEY = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:not-a-real-key';

/** A fresh action (its own fqn, so tests never share containers by accident). */
export function nodeAction(code: string, overrides: Partial<Omit<RunnableAction, 'limits'>> & { limits?: Partial<RunnableAction['limits']> } = {}): RunnableAction {
  actionCount += 1;
  const { limits, ...rest } = overrides;
  return {
    fqn: `/guest/test-action-${actionCount}`,
    revision: '1-a',
    namespace: 'guest',
    kind: 'nodejs:20',
    code,
    binary: false,
    main: 'main',
    limits: { timeout: 10_000, memory: 256, logs: 10, concurrency: 1, ...limits },
    ...rest,
  };
}

export function runRequest(action: RunnableAction, params: Record<string, unknown> = {}, overrides: Partial<RunRequest> = {}): RunRequest {
  activationCount += 1;
  return {
    activationId: `0000000000000000000000000000${String(activationCount).padStart(4, '0')}`,
    params,
    namespace: 'guest',
    actionName: action.fqn,
    deadline: Date.now() + action.limits.timeout,
    apiHost: API_HOST,
    apiKey: API_KEY,
    ...overrides,
  };
}

/** Log lines without the invoker's timestamp and stream prefix, e.g. `stdout: hello`. */
export function logMessages(logs: string[]): string[] {
  return logs.map((line) => line.replace(/^\S+\s+/, ''));
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
