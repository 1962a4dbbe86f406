/**
 * The dashboard as an OpenWhisk web action (actions/dashboard.ts, `raw-http`): the request the
 * controller describes in `__ow_*` parameters becomes the handler's request, and the handler's
 * answer becomes the `{ statusCode, headers, body }` a web action returns. The action answers at
 * `/api/v1/web/<namespace>/<package>/dashboard.http` with the page's own paths after it (`__ow_path`),
 * so that `<that URL>/runs/<id>` is the handler's `/dashboard/runs/<id>`.
 */
import { DASHBOARD_PREFIX, type DashboardRequest, type DashboardResponse } from './handler';

/** What the controller passes a `raw-http` web action about its request. */
export interface WebActionRequest {
  __ow_method?: unknown;
  __ow_path?: unknown;
  __ow_query?: unknown;
  __ow_headers?: unknown;
}

export interface WebActionResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The URL path of the action's `.http` form, from the fully qualified name OpenWhisk gives it (`/ns/pkg/action`). */
export function webActionBase(actionName: string): string {
  const parts = actionName.split('/').filter(Boolean);
  if (parts.length < 2) throw new TypeError(`'${actionName}' is not a fully qualified action name (/namespace[/package]/action)`);
  // A default-package action has no package segment; the controller's URLs then name it `default`.
  const qualified = parts.length === 2 ? [parts[0]!, 'default', parts[1]!] : parts;
  return `/api/v1/web/${qualified.map(encodeURIComponent).join('/')}.http`;
}

export function requestOfWebAction(params: WebActionRequest): DashboardRequest {
  // The controller passes the method in lower case (`get`).
  const method = typeof params.__ow_method === 'string' ? params.__ow_method.toUpperCase() : 'GET';
  const rest = typeof params.__ow_path === 'string' ? params.__ow_path : '';
  const path = rest === '' || rest.startsWith('/') ? `${DASHBOARD_PREFIX}${rest}` : `${DASHBOARD_PREFIX}/${rest}`;
  const query = new URLSearchParams(typeof params.__ow_query === 'string' ? params.__ow_query : '');
  const headers = typeof params.__ow_headers === 'object' && params.__ow_headers !== null ? params.__ow_headers as Record<string, unknown> : {};
  const accept = typeof headers.accept === 'string' ? headers.accept : undefined;
  return { method, path, query, ...(accept ? { accept } : {}) };
}

/** Text bodies travel as they are; anything else base64 encoded, which the controller decodes (OpenWhisk's rule for `.http` results). */
export function webActionResult(response: DashboardResponse | undefined, method = 'GET'): WebActionResult {
  if (!response) {
    return { statusCode: 405, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: `the dashboard answers GET and HEAD, not ${method}` }) };
  }
  const type = response.headers['content-type'] ?? '';
  const text = /^text\//i.test(type) || /^application\/(json|javascript)\b/i.test(type);
  const raw = typeof response.body === 'string' ? response.body : text ? response.body.toString('utf8') : response.body.toString('base64');
  return { statusCode: response.status, headers: response.headers, body: method === 'HEAD' ? '' : raw };
}
