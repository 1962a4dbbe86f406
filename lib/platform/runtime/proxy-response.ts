/**
 * How the invoker reads an action proxy's answers (apache/openwhisk `ActivationResponse`
 * `processInitResponseContent` / `processRunResponseContent`): a 200 JSON object is the result (an
 * `error` field makes it an application error); anything else from the container is the
 * developer's fault.
 */
import type { RunStatus } from './types';
import { invalidInitResponse, invalidRunResponse, truncatedResponse } from './messages';

export interface ProxyHttpResponse {
  statusCode: number;
  body: string;
}

export interface InterpretedResponse {
  status: RunStatus;
  result: Record<string, unknown>;
}

/** OpenWhisk's default limit on an activation result (`whisk.activation.payload.max`, 1 MB). */
export const MAX_RESULT_BYTES = 1024 * 1024;

/** `undefined` when the action initialized; otherwise the developer error to record. */
export function interpretInitResponse(response: ProxyHttpResponse): InterpretedResponse | undefined {
  if (response.statusCode === 200) return undefined;
  const parsed = parseObject(response.body);
  const error = parsed !== undefined && 'error' in parsed ? parsed['error'] : invalidInitResponse(response.body);
  return { status: 'action developer error', result: { error } };
}

export function interpretRunResponse(response: ProxyHttpResponse, maxResultBytes = MAX_RESULT_BYTES): InterpretedResponse {
  const length = Buffer.byteLength(response.body, 'utf8');
  if (length > maxResultBytes) {
    const trunk = Buffer.from(response.body, 'utf8').subarray(0, maxResultBytes).toString('utf8');
    return { status: 'action developer error', result: { error: truncatedResponse(trunk, length, maxResultBytes) } };
  }
  const parsed = parseObject(response.body);
  if (parsed === undefined) {
    return { status: 'action developer error', result: { error: invalidRunResponse(response.body) } };
  }
  const hasError = 'error' in parsed;
  if (response.statusCode === 200) {
    return { status: hasError ? 'application error' : 'success', result: parsed };
  }
  // Any other status is a container failure; keep the runtime's own explanation when it gave one.
  return {
    status: 'action developer error',
    result: { error: hasError ? parsed['error'] : invalidRunResponse(response.body) },
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
