/**
 * `GET /` and `GET /api/v1`: what the API offers (clients probe it; no credentials needed).
 */
import { SystemLimits } from '../limits';

export function apiInfo(limits: SystemLimits, apiHost: string): Record<string, unknown> {
  return {
    api_paths: ['/api/v1'],
    description: 'OpenWhisk API (whiskflow local platform)',
    api_host: apiHost,
    runtimes: {
      nodejs: [
        { kind: 'nodejs:20', default: true, deprecated: false, attached: false, requireMain: false },
      ],
    },
    limits: {
      actions_per_minute: limits.throttles.invocationsPerMinute,
      concurrent_actions: limits.throttles.concurrentInvocations,
      triggers_per_minute: limits.throttles.firesPerMinute,
      sequence_length: limits.sequenceMaxLength,
      min_action_duration: limits.action.timeout.min,
      max_action_duration: limits.action.timeout.max,
      min_action_memory: limits.action.memory.min * 1024 * 1024,
      max_action_memory: limits.action.memory.max * 1024 * 1024,
      min_action_logs: limits.action.logs.min * 1024 * 1024,
      max_action_logs: limits.action.logs.max * 1024 * 1024,
      max_action_concurrency: limits.action.concurrency.max,
    },
  };
}
