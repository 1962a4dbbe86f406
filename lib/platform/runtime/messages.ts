/**
 * Texts the real OpenWhisk invoker and Node.js runtime put into activation results and logs, copied
 * word for word (apache/openwhisk `common/scala/.../http/ErrorResponse.scala` `Messages`, and
 * apache/openwhisk-runtime-nodejs `core/nodejsActionBase/src/service.js`), because clients and
 * users match on them.
 */

/** Written by the proxy to stdout and stderr after each activation; the invoker cuts logs at it. */
export const ACTIVATION_SENTINEL = 'XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX';

export const abnormalInitialization = 'The action did not initialize and exited unexpectedly.';
export const abnormalRun = 'The action did not produce a valid response and exited unexpectedly.';
export const memoryExhausted = 'The action exhausted its memory and was aborted.';
export const logFailure = 'There was an issue while collecting your logs. Data might be missing.';
export const logWarningDeveloperError = 'The action did not initialize or run as expected. Log data might be missing.';
export const resourceProvisionError = 'Failed to provision resources to run the action.';

export function timedOutActivation(timeoutMs: number, duringInit: boolean): string {
  return `The action exceeded its time limits of ${timeoutMs} milliseconds${duringInit ? ' during initialization.' : '.'}`;
}

export function truncateLogs(limitBytes: number): string {
  return `Logs were truncated because the total bytes size exceeds the limit of ${limitBytes} bytes.`;
}

export function invalidInitResponse(actualResponse: string): string {
  return `The action failed during initialization${actualResponse ? `: ${actualResponse}` : '.'}`;
}

export function invalidRunResponse(actualResponse: string): string {
  return `The action did not produce a valid JSON response${actualResponse ? `: ${actualResponse}` : '.'}`;
}

export function truncatedResponse(trunk: string, lengthBytes: number, maxBytes: number): string {
  return `The action produced a response that exceeded the allowed length: ${lengthBytes} > ${maxBytes} bytes. The truncated response was: ${trunk}`;
}

/** whiskflow's own: an action stored with a kind that this machine's platform cannot run (any more). */
export function kindUnavailable(kind: string): string {
  return `The action's kind '${kind}' cannot run on this platform: its runtime is not installed on the machine.`;
}
