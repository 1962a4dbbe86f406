/**
 * `/namespaces/{ns}/rules/{name}`: rules linking a trigger to an action; POST `{status}` enables or
 * disables one.
 */
import { badRequest, conflict, notFound } from '../api-error';
import { Entity, RuleEntity, buildRule, requireObjectBody } from '../entities';
import { Messages } from '../messages';
import { QualifiedName, checkEntityName, parseQualifiedName, pathOf } from '../names';
import { ApiRequest, ApiResponse, ApiServices, flag, page, paging } from './context';
import { newestFirst, ruleSummary, ruleView } from './views';

export async function handleRules(request: ApiRequest, services: ApiServices): Promise<ApiResponse> {
  if (request.rest.length === 0) {
    if (request.method !== 'GET') throw notFound();
    services.resolver.requireOwner(request.caller, request.namespace);
    const pageOf = paging(request.query, 'rules');
    const rules = services.entities.list('rule', `${request.namespace}/`).map((entity) => entity.doc as RuleEntity);
    if (pageOf.count) return { status: 200, body: { rules: rules.length } };
    return { status: 200, body: page(newestFirst(rules), pageOf).map(ruleSummary) };
  }
  if (request.rest.length !== 1) throw notFound();
  const qualified: QualifiedName = { namespace: request.namespace, name: checkEntityName(request.rest[0]!) };
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const id = pathOf(qualified);
  switch (request.method) {
    case 'PUT': return putRule(request, services, qualified);
    case 'GET': return { status: 200, body: ruleView(services.resolver.entityOfType(id, 'rule')) };
    case 'DELETE': {
      const removed = await services.entities.remove(id, (current) => {
        if (!current) throw notFound(id);
        if (current.type !== 'rule') throw conflict(Messages.conformanceMessage, { id });
        return current.doc;
      });
      // The controller answers with the deleted rule as inactive (completeAsRuleResponse).
      return { status: 200, body: ruleView({ ...removed, status: 'inactive' }) };
    }
    case 'POST': {
      const body = requireObjectBody(request.body);
      const status = body.status;
      if (status !== 'active' && status !== 'inactive') throw badRequest("status must be 'active' or 'inactive'", { status });
      await services.entities.update(id, (current) => {
        if (!current) throw notFound(id);
        if (current.type !== 'rule') throw conflict(Messages.conformanceMessage, { id });
        if (current.doc.status === status) return { result: undefined };
        // The status lives in the trigger's document: without the trigger a rule stays inactive.
        const trigger = services.entities.get(`${current.doc.trigger.path}/${current.doc.trigger.name}`);
        if (status === 'active' && trigger?.type !== 'trigger') throw notFound(id, Messages.ruleWithoutTrigger);
        return { entity: { type: 'rule', doc: { ...current.doc, status, updated: Date.now() } }, result: undefined };
      });
      return { status: 200 };
    }
    default: throw notFound();
  }
}

async function putRule(request: ApiRequest, services: ApiServices, qualified: QualifiedName): Promise<ApiResponse> {
  const body = requireObjectBody(request.body);
  const overwrite = flag(request.query, 'overwrite');
  const id = pathOf(qualified);
  const existing = services.entities.get(id);
  const previous = existing?.type === 'rule' && overwrite ? existing.doc : undefined;
  const reference = (field: 'trigger' | 'action'): QualifiedName => {
    const value = body[field];
    if (value === undefined && previous) {
      const [namespace = request.caller.namespace, pkg] = previous[field].path.split('/');
      return { namespace, ...(pkg ? { pkg } : {}), name: previous[field].name };
    }
    const parsed = typeof value === 'string' ? parseQualifiedName(value, request.caller.namespace) : undefined;
    if (!parsed) throw badRequest(`The rule's ${field} must be a (fully qualified) entity name`, { [field]: value });
    return parsed;
  };
  const trigger = reference('trigger');
  const action = reference('action');
  // Both ends must exist (checkTriggerAndActionExist): the trigger in the caller's namespace, the action
  // anywhere the caller may invoke. The controller answers 400 with these texts.
  const triggerEntity = trigger.pkg ? undefined : services.entities.get(pathOf(trigger));
  if (trigger.namespace !== request.caller.namespace || !triggerEntity || triggerEntity.type !== 'trigger') {
    throw badRequest(`trigger /${pathOf(trigger)} does not exist`, { trigger: pathOf(trigger) });
  }
  try {
    services.resolver.resolveAction(request.caller, action);
  } catch (error) {
    if ((error as { status?: number }).status === 403) throw error;
    throw badRequest(`action /${pathOf(action)} does not exist`, { action: pathOf(action) });
  }
  const candidate = buildRule(body, qualified, previous, { trigger, action }, services.buildOptions());
  const saved = await services.entities.update(id, (current) => {
    if (current && current.type !== 'rule') throw conflict(Messages.conformanceMessage, { id });
    if (current && !overwrite) throw conflict(Messages.entityExists, { id });
    return { entity: { type: 'rule', doc: candidate } as Entity, result: candidate };
  });
  return { status: 200, body: ruleView(saved) };
}
