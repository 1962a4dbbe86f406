/**
 * `/namespaces/{ns}/triggers/{name}`: triggers, and firing them (POST).
 */
import { conflict, malformed, notFound, tooLarge } from '../api-error';
import { Entity, TriggerEntity, buildTrigger, requireObjectBody } from '../entities';
import { Messages } from '../messages';
import { QualifiedName, checkEntityName, pathOf } from '../names';
import { fireTrigger, rulesOfTrigger, unlinkRulesOf } from '../trigger-fire';
import { ApiRequest, ApiResponse, ApiServices, flag, page, paging } from './context';
import { newestFirst, triggerSummary, triggerView } from './views';

export async function handleTriggers(request: ApiRequest, services: ApiServices): Promise<ApiResponse> {
  if (request.rest.length === 0) {
    if (request.method !== 'GET') throw notFound();
    services.resolver.requireOwner(request.caller, request.namespace);
    const pageOf = paging(request.query, 'triggers');
    const triggers = services.entities.list('trigger', `${request.namespace}/`).map((entity) => entity.doc as TriggerEntity);
    if (pageOf.count) return { status: 200, body: { triggers: triggers.length } };
    return { status: 200, body: page(newestFirst(triggers), pageOf).map(triggerSummary) };
  }
  if (request.rest.length !== 1) throw notFound();
  const qualified: QualifiedName = { namespace: request.namespace, name: checkEntityName(request.rest[0]!) };
  services.resolver.requireOwner(request.caller, qualified.namespace);
  const id = pathOf(qualified);
  switch (request.method) {
    case 'PUT': {
      const body = requireObjectBody(request.body);
      const overwrite = flag(request.query, 'overwrite');
      const existing = services.entities.get(id);
      const candidate = buildTrigger(body, qualified, existing?.type === 'trigger' && overwrite ? existing.doc : undefined, services.buildOptions());
      const saved = await services.entities.update(id, (current) => {
        if (current && current.type !== 'trigger') throw conflict(Messages.conformanceMessage, { id });
        if (current && !overwrite) throw conflict(Messages.entityExists, { id });
        return { entity: { type: 'trigger', doc: candidate } as Entity, result: candidate };
      });
      return { status: 200, body: triggerView(saved, rulesOfTrigger(services.entities, qualified)) };
    }
    case 'GET': {
      const trigger = services.resolver.entityOfType(id, 'trigger');
      return { status: 200, body: triggerView(trigger, rulesOfTrigger(services.entities, qualified)) };
    }
    case 'DELETE': {
      const rules = rulesOfTrigger(services.entities, qualified).map((rule) => ({ ...rule }));
      const removed = await services.entities.remove(id, (current) => {
        if (!current) throw notFound(id);
        if (current.type !== 'trigger') throw conflict(Messages.conformanceMessage, { id });
        return current.doc;
      });
      await unlinkRulesOf(services.entities, qualified);
      // The deleted document, with the rules it linked.
      return { status: 200, body: triggerView(removed, rules) };
    }
    case 'POST': {
      if (request.bodySize > services.limits.payloadBytes) throw tooLarge('Request', request.bodySize, services.limits.payloadBytes);
      const event = request.body === undefined ? {} : request.body;
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw malformed('Object expected');
      const activationId = fireTrigger(services.fire, request.caller, qualified, event as Record<string, unknown>);
      return activationId ? { status: 202, body: { activationId } } : { status: 204 };
    }
    default: throw notFound();
  }
}
