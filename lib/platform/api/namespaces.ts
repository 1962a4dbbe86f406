/**
 * `/namespaces` (the caller's namespaces) and `/namespaces/{ns}` (everything in one namespace).
 */
import { notFound } from '../api-error';
import { ActionEntity, PackageEntity, RuleEntity, TriggerEntity } from '../entities';
import { ApiRequest, ApiResponse, ApiServices } from './context';
import { actionSummary, newestFirst, packageSummary, ruleView, triggerSummary } from './views';

export function listNamespaces(request: ApiRequest): ApiResponse {
  if (request.method !== 'GET') throw notFound();
  return { status: 200, body: [request.caller.namespace] };
}

export function describeNamespace(request: ApiRequest, services: ApiServices): ApiResponse {
  if (request.method !== 'GET') throw notFound();
  services.resolver.requireOwner(request.caller, request.namespace);
  const prefix = `${request.namespace}/`;
  const of = <T extends { updated: number }>(type: 'action' | 'package' | 'trigger' | 'rule') =>
    newestFirst(services.entities.list(type, prefix).map((entity) => entity.doc as unknown as T));
  return {
    status: 200,
    body: {
      actions: of<ActionEntity>('action').map(actionSummary),
      packages: of<PackageEntity>('package').map(packageSummary),
      triggers: of<TriggerEntity>('trigger').map(triggerSummary),
      rules: of<RuleEntity>('rule').map(ruleView),
    },
  };
}
