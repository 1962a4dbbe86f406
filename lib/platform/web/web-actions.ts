/**
 * `/api/v1/web/<namespace>/<package|default>/<action>[.ext][/path]`: anonymous HTTP access to actions
 * annotated `web-export`, as the controller's WebActions serves it. The action runs as its owner (the
 * namespace in the URL) through the platform's invoker, so each request leaves an activation record
 * whose id comes back in `x-openwhisk-activation-id`. API routes reuse `serveWebAction`.
 */
import { IncomingHttpHeaders } from 'node:http';
import { statusOf } from '../api-error';
import { annotationValue, paramsToObject } from '../entities';
import { Invoker } from '../invoker';
import { SystemLimits } from '../limits';
import { Messages } from '../messages';
import { isValidEntityName } from '../names';
import { EntityStore } from '../persistence/entity-store';
import { Identity, SubjectStore } from '../persistence/subject-store';
import { ResolvedAction, Resolver } from '../resolver';
import { Throttles } from '../throttles';
import { WebRequestError, immutableParameters, overridesProtected, readWebBody, webActionArgument } from './request-params';
import { WebExtension, WebMessages, WebReply, isFailure, shapeResult, splitExtension } from './response-shape';

export interface WebActionDeps {
  entities: EntityStore;
  subjects: SubjectStore;
  resolver: Resolver;
  invoker: Invoker;
  throttles: Throttles;
  limits: SystemLimits;
}

export interface WebHttpRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The query string without `?`. */
  query: string;
  body: Buffer;
  /** The caller when the request carried valid credentials (`__ow_user`, `require-whisk-auth: true`). */
  user?: Identity;
  transactionId: string;
}

export interface WebActionTarget {
  namespace: string;
  /** undefined for the default package. */
  pkg?: string;
  name: string;
  extension: WebExtension;
  /** Unmatched path after the action (`__ow_path`). */
  path: string;
}

const ALLOWED_METHODS = ['GET', 'DELETE', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'PATCH'];

/** The default CORS answer (CorsSettings.WebActions), unless the action handles OPTIONS itself. */
function corsHeaders(headers: IncomingHttpHeaders): [string, string][] {
  const requested = headers['access-control-request-headers'];
  return [
    ['access-control-allow-origin', '*'],
    ['access-control-allow-methods', 'OPTIONS, GET, DELETE, POST, PUT, HEAD, PATCH'],
    ['access-control-allow-headers', typeof requested === 'string' ? requested : 'Authorization, Origin, X-Requested-With, Content-Type, Accept, User-Agent'],
  ];
}

export function failureReply(status: number, error: string, transactionId: string, headers: [string, string][] = []): WebReply {
  const body = Buffer.from(JSON.stringify({ code: transactionId, error }, null, 2));
  return { status, headers: [...headers, ['content-type', 'application/json']], body };
}

/** Parses `<ns>/<pkg|default>/<action[.ext]>/<rest...>` (segments decoded); undefined when malformed. */
export function webTargetOf(segments: string[]): WebActionTarget | undefined {
  const [namespace, pkg, actionWithExtension, ...rest] = segments;
  if (namespace === undefined || pkg === undefined || actionWithExtension === undefined) return undefined;
  if (!isValidEntityName(namespace) || !isValidEntityName(pkg) || !isValidEntityName(actionWithExtension)) return undefined;
  const [name, extension] = splitExtension(actionWithExtension);
  return { namespace, ...(pkg === 'default' ? {} : { pkg }), name, extension, path: rest.length > 0 ? `/${rest.join('/')}` : '' };
}

export async function serveWebAction(deps: WebActionDeps, target: WebActionTarget, request: WebHttpRequest): Promise<WebReply> {
  const transactionId = request.transactionId;
  const method = request.method.toUpperCase();
  if (!ALLOWED_METHODS.includes(method)) return failureReply(405, `${Messages.methodNotAllowed}${ALLOWED_METHODS.join(', ')}`, transactionId);
  const found = findWebAction(deps, target);
  if (!found) return failureReply(404, Messages.resourceDoesNotExist, transactionId);
  const { owner, action } = found;
  const annotations = action.action.annotations;
  if (request.body.length > deps.limits.payloadBytes) {
    return failureReply(413, Messages.entityTooBig('Request', request.body.length, deps.limits.payloadBytes), transactionId);
  }
  const customOptions = annotationValue(annotations, 'web-custom-options') === true;
  const cors = customOptions ? [] : corsHeaders(request.headers);
  if (!customOptions && method === 'OPTIONS') return { status: 200, headers: cors };
  // With web-custom-options the action answers OPTIONS even for callers that could not authenticate.
  if (method !== 'OPTIONS' && !authorized(annotationValue(annotations, 'require-whisk-auth'), request)) {
    return failureReply(401, UNAUTHORIZED, transactionId, cors);
  }
  const raw = annotationValue(annotations, 'raw-http') === true;
  const context = {
    method,
    headers: contextHeaders(request.headers),
    path: target.path,
    query: request.query,
  };
  let payload: Record<string, unknown>;
  try {
    const body = readWebBody(headerText(request.headers['content-type']), request.body, raw);
    if (!raw) {
      const merged = { ...action.inherited, ...paramsToObject(action.action.parameters) };
      const fixed = immutableParameters(annotationValue(annotations, 'final') === true, merged);
      if (overridesProtected(context, body, fixed).length > 0) return failureReply(400, Messages.parametersNotAllowed, transactionId, cors);
    }
    payload = webActionArgument(context, body, request.user?.namespace, raw);
  } catch (error) {
    if (error instanceof WebRequestError) return failureReply(error.status, error.message, transactionId, cors);
    throw error;
  }
  try {
    deps.throttles.admitInvocation(owner.namespace);
  } catch (error) {
    return failureReply(statusOf(error), (error as Error).message, transactionId, cors);
  }
  const invocation = deps.invoker.invoke({ caller: owner, target: action, payload });
  const headers: [string, string][] = [...cors, ['x-openwhisk-activation-id', invocation.activationId]];
  const record = await waitAtMost(invocation.completion, deps.limits.blockingWaitMs);
  if (!record) return failureReply(202, WebMessages.responseNotReady, transactionId, headers);
  const response = record.response;
  if (response.status !== 'success' && response.status !== 'application error') {
    return failureReply(400, WebMessages.errorProcessingRequest, transactionId, headers);
  }
  // An application error answers with its `error` property, shaped by the same extension.
  const result: unknown = response.status === 'success' ? response.result : (response.result as Record<string, unknown>).error;
  if (result === undefined) return failureReply(404, WebMessages.propertyNotFound, transactionId, headers);
  const shaped = shapeResult(result, target.extension);
  if (isFailure(shaped)) return failureReply(shaped.status, shaped.error, transactionId, headers);
  return { ...shaped, headers: [...headers, ...shaped.headers] };
}

/** Pekko's text for 401 (the controller terminates with the status's default message). */
const UNAUTHORIZED = 'The request has not been applied because it lacks valid authentication credentials for the target resource.';

function findWebAction(deps: WebActionDeps, target: WebActionTarget): { owner: Identity; action: ResolvedAction } | undefined {
  const owner = deps.subjects.findNamespace(target.namespace);
  if (!owner) return undefined;
  if (target.pkg) {
    // The controller looks the action up in the package itself: a binding has no actions of its own.
    const pkg = deps.entities.get(`${target.namespace}/${target.pkg}`);
    if (!pkg || pkg.type !== 'package' || pkg.doc.binding) return undefined;
  }
  let action: ResolvedAction;
  try {
    action = deps.resolver.resolveAction(owner, { namespace: target.namespace, ...(target.pkg ? { pkg: target.pkg } : {}), name: target.name });
  } catch {
    return undefined;
  }
  return annotationValue(action.action.annotations, 'web-export') === true ? { owner, action } : undefined;
}

/** `require-whisk-auth`: true needs valid credentials, a string or number must match `X-Require-Whisk-Auth`. */
export function authorized(requirement: unknown, request: Pick<WebHttpRequest, 'headers' | 'user'>): boolean {
  if (requirement === undefined || requirement === false) return true;
  if (requirement === true) return request.user !== undefined;
  if (typeof requirement === 'string' || typeof requirement === 'number') {
    return headerText(request.headers['x-require-whisk-auth']) === String(requirement);
  }
  return false;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function contextHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name === 'content-length' || name === 'timeout-access') continue;
    result[name] = headerText(value)!;
  }
  return result;
}

function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => { clearTimeout(timer); resolve(value); });
  });
}
