/**
 * The local API gateway: `/api/<tenant>/<basepath>/<relpath>` (the tenant is the namespace's uuid, as
 * on a standalone OpenWhisk) finds the stored API and operation and serves its web action exactly as
 * `/api/v1/web/...` would, with the response type the route was created with. As the real gateway
 * does, it sends the action's `require-whisk-auth` secret along.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { annotationValue } from '../entities';
import type { RawRoute } from '../http/server';
import type { WebReply } from '../web/response-shape';
import { WebActionDeps, serveWebAction } from '../web/web-actions';
import { splitExtension } from '../web/response-shape';
import { ApiStore, StoredApi } from './api-store';
import { matchOperation, pathExists } from './swagger';

/** The gateway's own errors (openwhisk-apigateway lib/request.lua err). */
export function gatewayError(status: number, message: string): WebReply {
  return {
    status,
    headers: [['content-type', 'application/json; charset=utf-8']],
    body: Buffer.from(`${JSON.stringify({ status, message: `Error: ${message}` })}\n`),
  };
}

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
      return Promise.resolve(gatewayError(404, 'Not found.'));
    }
    const found = apiForPath(owned, path);
    const method = request.incoming.method ?? 'GET';
    const operation = found ? matchOperation(found.api.swagger, method, found.relPath) : undefined;
    if (!found || !pathExists(found.api.swagger, found.relPath)) return Promise.resolve(gatewayError(404, 'Not found.'));
    if (!operation) return Promise.resolve(gatewayError(404, 'Whoops. Verb not supported.'));
    const urlName = operation.url.slice(operation.url.lastIndexOf('/') + 1);
    const [, extension] = splitExtension(urlName);
    const headers: IncomingHttpHeaders = { ...request.incoming.headers, 'x-forwarded-url': `http://${request.incoming.headers.host ?? 'localhost'}${request.url.pathname}${request.url.search}` };
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
