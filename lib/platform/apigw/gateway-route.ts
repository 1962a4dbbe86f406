/**
 * The local API gateway: `/api/<tenant>/<basepath>/<relpath>` (the tenant is the namespace's uuid, as
 * on a standalone OpenWhisk) finds the stored API and operation and serves its web action exactly as
 * `/api/v1/web/...` would, with the response type the route was created with. As the real gateway
 * does, it sends the action's `require-whisk-auth` secret along.
 */
import { annotationValue } from '../entities';
import type { RawRoute } from '../http/server';
import { WebActionDeps, failureReply, serveWebAction } from '../web/web-actions';
import { splitExtension } from '../web/response-shape';
import { ApiStore, StoredApi } from './api-store';
import { matchOperation } from './swagger';

export const ROUTE_NOT_FOUND = 'Route not found: no API of this namespace answers this path and method.';

/** The API whose base path is the longest prefix of `path`, and the path relative to it. */
export function apiForPath(apis: StoredApi[], path: string): { api: StoredApi; relPath: string } | undefined {
  let best: { api: StoredApi; relPath: string } | undefined;
  for (const api of apis) {
    const base = api.swagger.basePath.replace(/\/$/, '');
    if (base !== '' && path !== base && !path.startsWith(`${base}/`)) continue;
    if (best && best.api.swagger.basePath.length >= api.swagger.basePath.length) continue;
    best = { api, relPath: path.slice(base.length) || '/' };
  }
  return best;
}

export function gatewayRoute(deps: WebActionDeps, apis: ApiStore): RawRoute {
  return (request) => {
    const match = /^\/api\/([^/]+)(\/.*)?$/.exec(request.url.pathname);
    if (!match || match[1] === 'v1') return undefined;
    const tenant = match[1]!;
    const owned = apis.list(tenant);
    if (owned.length === 0) return undefined;
    let path: string;
    try {
      path = decodeURIComponent(match[2] ?? '/');
    } catch {
      return Promise.resolve(failureReply(404, ROUTE_NOT_FOUND, request.transactionId));
    }
    const found = apiForPath(owned, path);
    const method = request.incoming.method ?? 'GET';
    const operation = found ? matchOperation(found.api.swagger, method, found.relPath) : undefined;
    if (!operation) return Promise.resolve(failureReply(404, ROUTE_NOT_FOUND, request.transactionId));
    const urlName = operation.url.slice(operation.url.lastIndexOf('/') + 1);
    const [, extension] = splitExtension(urlName);
    const headers = { ...request.incoming.headers };
    const location = `${operation.namespace}/${operation.package ? `${operation.package}/` : ''}${operation.action}`;
    const entity = deps.entities.get(location);
    const secret = entity?.type === 'action' ? annotationValue(entity.doc.annotations, 'require-whisk-auth') : undefined;
    if (typeof secret === 'string' || typeof secret === 'number') headers['x-require-whisk-auth'] = String(secret);
    return serveWebAction(deps, {
      namespace: operation.namespace,
      ...(operation.package ? { pkg: operation.package } : {}),
      name: operation.action,
      extension,
      // Path parameters reach `.http` routes through __ow_path (docs/apigateway.md).
      path: extension === '.http' ? path : '',
    }, {
      method,
      headers,
      query: request.url.search.replace(/^\?/, ''),
      body: request.body,
      transactionId: request.transactionId,
    });
  };
}
