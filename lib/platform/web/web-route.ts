/**
 * Plugs web actions into the platform's HTTP server: `/api/v1/web/...` is answered here, with or
 * without credentials; every other path passes to the REST API.
 */
import type { RawRoute } from '../http/server';
import { WebActionDeps, failureReply, serveWebAction, webTargetOf } from './web-actions';
import { Messages } from '../messages';

const PREFIX = '/api/v1/web/';

export function webActionRoute(deps: WebActionDeps): RawRoute {
  return (request) => {
    const { url } = request;
    if (!url.pathname.startsWith(PREFIX)) return undefined;
    let segments: string[];
    try {
      segments = url.pathname.slice(PREFIX.length).split('/').map(decodeURIComponent);
    } catch {
      return Promise.resolve(failureReply(404, Messages.resourceDoesNotExist, request.transactionId));
    }
    const target = webTargetOf(segments);
    if (!target) return Promise.resolve(failureReply(404, Messages.resourceDoesNotExist, request.transactionId));
    return serveWebAction(deps, target, {
      method: request.incoming.method ?? 'GET',
      headers: request.incoming.headers,
      query: url.search.startsWith('?') ? url.search.slice(1) : url.search,
      body: request.body,
      ...(request.user ? { user: request.user } : {}),
      transactionId: request.transactionId,
    });
  };
}
