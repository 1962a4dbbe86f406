/**
 * `/namespaces/{ns}/actions[/{pkg}]/{name}`: create/update, get, list, delete and invoke actions.
 */
import { ActivationRecord } from '../activation-record';
import { badRequest, conflict, forbidden, malformed, notFound, tooLarge } from '../api-error';
import { ActionEntity, Entity, buildAction, isSequence, nextVersion, requireObjectBody } from '../entities';
import { checkFinalParameters } from '../final-parameters';
import { Messages } from '../messages';
import { QualifiedName, checkEntityName, fqnOf, parseQualifiedName, pathOf } from '../names';
import { ApiRequest, ApiResponse, ApiServices, flag, page, paging } from './context';
import { actionSummary, actionView, newestFirst } from './views';

export async function handleActions(request: ApiRequest, services: ApiServices): Promise<ApiResponse> {
  const { rest } = request;
  if (rest.length === 0 || (rest.length === 2 && rest[1] === '')) {
    if (request.method !== 'GET') throw notFound();
    return listActions(request, services, rest.length === 2 ? rest[0] : undefined);
  }
  if (rest.length > 2) throw notFound();
  const qualified: QualifiedName = rest.length === 2
    ? { namespace: request.namespace, pkg: checkEntityName(rest[0]!), name: checkEntityName(rest[1]!) }
    : { namespace: request.namespace, name: checkEntityName(rest[0]!) };
  switch (request.method) {
    case 'PUT': return putAction(request, services, qualified);
    case 'GET': return getAction(request, services, qualified);
    case 'DELETE': return deleteAction(request, services, qualified);
    case 'POST': return invokeAction(request, services, qualified);
    default: throw notFound();
  }
}

function listActions(request: ApiRequest, services: ApiServices, pkg: string | undefined): ApiResponse {
  const pageOf = paging(request.query, 'actions');
  let actions: ActionEntity[];
  if (pkg !== undefined) {
    const resolved = services.resolver.resolvePackage(request.caller, { namespace: request.namespace, name: checkEntityName(pkg) });
    const home = resolved.provider?.location ?? resolved.location;
    actions = services.resolver.packageActions(home);
  } else {
    services.resolver.requireOwner(request.caller, request.namespace);
    actions = services.entities.list('action', `${request.namespace}/`).map((entity) => entity.doc as ActionEntity);
  }
  if (pageOf.count) return { status: 200, body: { actions: actions.length } };
  return { status: 200, body: page(newestFirst(actions), pageOf).map(actionSummary) };
}

async function putAction(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const body = requireObjectBody(request.body);
  if (qualified.pkg) {
    const pkg = services.resolver.entityOfType(`${qualified.namespace}/${qualified.pkg}`, 'package');
    if (pkg.binding) throw badRequest(Messages.notAllowedOnBinding);
  }
  const overwrite = flag(request.query, 'overwrite');
  const id = pathOf(qualified);
  // Validate before taking the write lock, so that a bad body never touches the stored entity.
  const existing = services.entities.get(id);
  const candidate = buildAction(body, qualified, existing?.type === 'action' && overwrite ? existing.doc : undefined, services.buildOptions());
  if (isSequence(candidate.exec)) candidate.exec = { kind: 'sequence', components: checkSequence(request, services, qualified, candidate.exec.components) };
  const saved = await services.entities.update(id, (current) => {
    if (current && current.type !== 'action') throw conflict(Messages.conformanceMessage, { id });
    if (current && !overwrite) throw conflict(Messages.entityExists, { id });
    // Rebuild on the entity current under the lock (another writer may have changed it meanwhile).
    const entity = current ? { ...candidate, version: nextVersion(current.doc.version), updated: candidate.updated } : candidate;
    return { entity: { type: 'action', doc: entity } as Entity, result: entity };
  });
  await services.invoker.forget(fqnOf(qualified));
  return { status: 200, body: actionView(await services.entities.withCode(saved)) };
}

/** Components as fully qualified names; each must exist, be accessible, and not lead back to this action. */
function checkSequence(request: ApiRequest, services: ApiServices, self: QualifiedName, components: string[]): string[] {
  const selfFqn = fqnOf(self);
  let atomic = 0;
  const visit = (fqn: string, depth: number): void => {
    if (fqn === selfFqn) throw badRequest(Messages.sequenceIsCyclic);
    const qualified = parseQualifiedName(fqn, request.caller.namespace);
    if (!qualified || depth > 50) throw badRequest(Messages.sequenceComponentNotFound, { component: fqn });
    let action: ActionEntity;
    try {
      action = services.resolver.resolveAction(request.caller, qualified).action;
    } catch {
      throw badRequest(Messages.sequenceComponentNotFound, { component: fqn });
    }
    if (isSequence(action.exec)) {
      for (const inner of action.exec.components) visit(inner, depth + 1);
    } else {
      atomic += 1;
    }
  };
  const qualifiedComponents = components.map((component) => {
    const qualified = parseQualifiedName(component, request.caller.namespace);
    if (!qualified) throw badRequest(Messages.sequenceComponentNotFound, { component });
    const fqn = fqnOf(qualified);
    visit(fqn, 0);
    return fqn;
  });
  if (atomic > services.limits.sequenceMaxLength) throw badRequest(Messages.sequenceIsTooLong, { atomic, max: services.limits.sequenceMaxLength });
  return qualifiedComponents;
}

async function getAction(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  const resolved = services.resolver.resolveAction(request.caller, qualified);
  const includeCode = request.query.get('code') !== 'false';
  const view = actionView(includeCode ? await services.entities.withCode(resolved.action) : resolved.action, includeCode);
  // Like the controller, a GET through a package shows the inherited parameters under the action's own.
  if (qualified.pkg) {
    const own = new Set(resolved.action.parameters.map((parameter) => parameter.key));
    const inherited = Object.entries(resolved.inherited).filter(([key]) => !own.has(key)).map(([key, value]) => ({ key, value }));
    view.parameters = [...inherited, ...resolved.action.parameters];
  }
  return { status: 200, body: view };
}

async function deleteAction(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const id = pathOf(qualified);
  if (services.entities.isBuiltin(id)) throw forbidden(id);
  const removed = await services.entities.remove(id, (current) => {
    if (!current) throw notFound(id);
    if (current.type !== 'action') throw conflict(Messages.conformanceMessage, { id });
    return current.doc;
  });
  await services.invoker.forget(fqnOf(qualified));
  // Code kept on disk outlives the entity for a while (CodeStore's grace): the answer still shows it.
  return { status: 200, body: actionView(await services.entities.withCode(removed).catch(() => removed)) };
}

async function invokeAction(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  if (request.bodySize > services.limits.payloadBytes) throw tooLarge('Request', request.bodySize, services.limits.payloadBytes);
  const payload = request.body === undefined ? {} : request.body;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw malformed('Object expected');
  const blocking = flag(request.query, 'blocking');
  const waitMs = blocking ? blockingWait(request.query, services.limits.blockingWaitMs) : 0;
  const target = services.resolver.resolveAction(request.caller, qualified);
  checkFinalParameters(target, payload as Record<string, unknown>);
  services.throttles.admitInvocation(request.caller.namespace);
  const invocation = services.invoker.invoke({ caller: request.caller, target, payload: payload as Record<string, unknown> });
  // Like respondWithActivationIdHeader in the controller.
  const headers = { 'x-openwhisk-activation-id': invocation.activationId };
  if (!blocking) return { status: 202, body: { activationId: invocation.activationId }, headers };
  const record = await waitAtMost(invocation.completion, waitMs);
  if (!record) return { status: 202, body: { activationId: invocation.activationId }, headers };
  return { ...blockingResponse(record, flag(request.query, 'result')), headers };
}

/** The `timeout` query parameter shortens the blocking wait (the controller's waitOverride). */
function blockingWait(query: URLSearchParams, maxMs: number): number {
  const text = query.get('timeout');
  if (text === null || text === '') return maxMs;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0 || value > maxMs) throw badRequest(Messages.invalidTimeout(maxMs), { timeout: text });
  return value;
}

/** Status of a completed blocking invoke, as the controller maps activation outcomes. */
export function blockingResponse(record: ActivationRecord, resultOnly: boolean): ApiResponse {
  const body = resultOnly ? record.response.result : record;
  switch (record.response.status) {
    case 'success': return { status: 200, body };
    case 'application error':
    case 'action developer error':
      return { status: 502, body };
    default: return { status: 500, body };
  }
}

function waitAtMost<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    void promise.then((value) => { clearTimeout(timer); resolve(value); });
  });
}
