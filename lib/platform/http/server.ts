/**
 * The REST API over node:http. Kept free of framework overhead because every blocking invoke passes
 * through here: authenticate (cached), read and parse the body, route to a resource handler, answer
 * JSON. Failures become OpenWhisk's `{ error, code }` bodies with the matching status.
 */
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { ensureError } from '../../errors';
import { malformed, notFound, statusOf, unauthorized } from '../api-error';
import { announcesBody, checkDeclaredLength, checkJsonContentType, discardBody, readBody } from './request-body';
import { DEFAULT_NAMESPACE, checkEntityName } from '../names';
import type { Identity } from '../persistence/subject-store';
import { handleActions } from '../api/actions';
import { handleActivations } from '../api/activations';
import { ApiRequest, ApiResponse, ApiServices, ResourceHandler } from '../api/context';
import { apiInfo } from '../api/info';
import { describeNamespace, listNamespaces } from '../api/namespaces';
import { handlePackages } from '../api/packages';
import { handleRules } from '../api/rules';
import { handleTriggers } from '../api/triggers';

/** The REST API's entity routes, which require credentials. */
const REST_PREFIX = '/api/v1/namespaces';

const COLLECTIONS: Record<string, ResourceHandler> = {
  actions: handleActions,
  packages: handlePackages,
  triggers: handleTriggers,
  rules: handleRules,
  activations: handleActivations,
};

/** A request the REST API does not own (web actions, API routes): answered with raw bytes, or undefined to pass. */
export interface RawHttpRequest {
  incoming: IncomingMessage;
  url: URL;
  body: Buffer;
  /** The caller when the request carries valid credentials; absent credentials are no error here. */
  user?: Identity;
  transactionId: string;
}
export interface RawHttpReply { status: number; headers: [string, string][]; body?: Buffer }
export type RawRoute = (request: RawHttpRequest) => Promise<RawHttpReply> | undefined;
/**
 * A route served next to the REST API by another room (the CLI mounts the run dashboard): it
 * answers the request itself (true) or leaves it to the API (false). The platform knows nothing
 * of what it serves.
 */
export type HttpRoute = (incoming: IncomingMessage, response: ServerResponse) => boolean;

export interface ApiServerOptions {
  /** Asked in order before the API routes; the list may change while the server runs. */
  routes?: readonly HttpRoute[];
  services: ApiServices;
  /** Tried in order before the REST API's own routes. */
  rawRoutes?: RawRoute[];
  /** Largest request body read at all (code uploads); payload limits are checked per resource. */
  maxRequestBytes?: number;
  apiHost: () => string;
  log: (message: string) => void;
}

export function createApiServer(options: ApiServerOptions): Server {
  const maxRequestBytes = options.maxRequestBytes ?? 50 * 1024 * 1024;
  const authCache = new Map<string, Identity>();
  const transactionPrefix = randomBytes(8).toString('hex');
  let transactionCounter = 0;

  const authenticate = (header: string | undefined): Identity => {
    if (!header) throw unauthorized();
    const cached = authCache.get(header);
    if (cached) return cached;
    const match = /^Basic\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized();
    const identity = options.services.subjects.authenticate(Buffer.from(match[1]!, 'base64').toString('utf8'));
    if (!identity) throw unauthorized();
    if (authCache.size > 1000) authCache.clear();
    authCache.set(header, identity);
    return identity;
  };

  const route = async (incoming: IncomingMessage, url: URL, body: Buffer): Promise<ApiResponse> => {
    const segments = url.pathname.split('/').slice(1).map(decodeSegment);
    if (incoming.method === 'GET' && (url.pathname === '/' || url.pathname === '/api/v1' || url.pathname === '/api/v1/')) {
      return { status: 200, body: apiInfo(options.services.limits, options.apiHost(), options.services.kinds) };
    }
    if (segments[0] !== 'api' || segments[1] !== 'v1' || segments[2] !== 'namespaces') throw notFound(url.pathname);
    const caller = authenticate(incoming.headers.authorization);
    const nsSegment = segments[3];
    const parsedBody = parseBody(body);
    const base = { method: incoming.method ?? 'GET', query: url.searchParams, bodySize: body.length, body: parsedBody, caller, rest: [] as string[] };
    if (nsSegment === undefined || (nsSegment === '' && segments.length === 4)) return listNamespaces({ ...base, namespace: caller.namespace });
    const namespace = nsSegment === DEFAULT_NAMESPACE ? caller.namespace : checkEntityName(nsSegment, 'namespace');
    const collection = segments[4];
    if (collection === undefined || collection === '') return describeNamespace({ ...base, namespace }, options.services);
    const handler = Object.prototype.hasOwnProperty.call(COLLECTIONS, collection) ? COLLECTIONS[collection] : undefined;
    if (!handler) throw notFound(url.pathname);
    const rest = segments.slice(5);
    // A trailing slash on an entity path (`actions/hello/`) means the entity itself.
    if (rest.length > 1 && rest[rest.length - 1] === '' && collection !== 'actions') rest.pop();
    const request: ApiRequest = { ...base, namespace, rest };
    return handler(request, options.services);
  };

  const respond = (response: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void => {
    if (body === undefined) {
      response.writeHead(status, { ...headers, 'content-length': '0' });
      response.end();
      return;
    }
    const text = JSON.stringify(body);
    response.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };

  const respondRaw = (response: ServerResponse, reply: RawHttpReply): void => {
    for (const [name, value] of reply.headers) response.appendHeader(name, value);
    response.setHeader('content-length', reply.body?.length ?? 0);
    response.writeHead(reply.status);
    response.end(reply.body);
  };

  /**
   * Admits a request before its body is read: a REST API request needs valid credentials (401), a
   * JSON content type when it sends an entity (415) and a length within its route's bound (413);
   * web actions and API routes are public and bounded by the payload limit. Returns the bound.
   */
  const admit = (incoming: IncomingMessage, url: URL): number => {
    checkDeclaredLength(incoming, maxRequestBytes);
    const payloadBytes = options.services.limits.payloadBytes;
    if (!url.pathname.startsWith(REST_PREFIX)) {
      checkDeclaredLength(incoming, payloadBytes);
      return payloadBytes;
    }
    authenticate(incoming.headers.authorization);
    // As the controller: an entity PUT is unmarshalled (415) before its sizes are checked; an invoke,
    // fire or rule change has its length checked (413) before its body is unmarshalled.
    const method = incoming.method ?? 'GET';
    const limit = method === 'PUT' ? maxRequestBytes : payloadBytes;
    if (method === 'PUT' || method === 'POST') {
      if (method === 'POST') checkDeclaredLength(incoming, limit);
      if (method === 'PUT' || announcesBody(incoming)) checkJsonContentType(incoming);
    }
    checkDeclaredLength(incoming, limit);
    return limit;
  };

  const handle = (incoming: IncomingMessage, response: ServerResponse): void => {
    for (const extra of options.routes ?? []) if (extra(incoming, response)) return;
    const transactionId = `${transactionPrefix}${(transactionCounter++).toString(16).padStart(16, '0')}`;
    const fail = (error: unknown) => {
      const status = statusOf(error);
      const message = status === 500 ? 'There was an error processing your request.' : ensureError(error).message;
      if (status >= 500) options.log(`request ${incoming.method} ${incoming.url?.split('?')[0]} failed (${transactionId}): ${ensureError(error).stack ?? String(error)}`);
      if (!response.headersSent) respond(response, status, { error: message, code: transactionId });
    };
    let url: URL;
    let limit: number;
    try {
      url = new URL(incoming.url ?? '/', 'http://localhost');
      limit = admit(incoming, url);
    } catch (error) {
      discardBody(incoming, response);
      fail(statusOf(error) === 500 ? notFound() : error);
      return;
    }
    readBody(incoming, response, limit).then((body) => {
      let user: Identity | undefined;
      try { user = incoming.headers.authorization ? authenticate(incoming.headers.authorization) : undefined; } catch { user = undefined; }
      for (const rawRoute of options.rawRoutes ?? []) {
        const reply = rawRoute({ incoming, url, body, transactionId, ...(user ? { user } : {}) });
        if (reply) {
          reply.then((result) => respondRaw(response, result), fail);
          return;
        }
      }
      route(incoming, url, body).then((result) => respond(response, result.status, result.body, result.headers), fail);
    }, fail);
  };

  const server = createServer(handle);
  // Without this listener node answers `100 Continue` to every request; readBody sends it only for
  // requests that are admitted, so that a refused client never uploads its body.
  server.on('checkContinue', handle);
  server.keepAliveTimeout = 65_000;
  return server;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw malformed(`invalid percent-encoding in path segment '${segment}'`);
  }
}

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw malformed(ensureError(error).message);
  }
}
