/**
 * Firing a trigger: every active rule on it invokes its action (non-blocking) with the trigger's
 * parameters under the event, and one trigger activation records the event as it was posted (its
 * result; the controller's `ActivationResponse.success(payload)`, without the trigger's parameters)
 * and, per rule, a JSON log line (statusCode, success, activationId, action, rule), as the
 * controller's trigger API does.
 * Used by the REST API and by the built-in alarms feed.
 */
import { ActivationRecord, responseOf } from './activation-record';
import { statusOf } from './api-error';
import { RuleEntity, TriggerEntity, paramsToObject } from './entities';
import { newActivationId, Invoker } from './invoker';
import { Messages } from './messages';
import { QualifiedName, pathOf } from './names';
import { ActivationStore } from './persistence/activation-store';
import { EntityStore } from './persistence/entity-store';
import type { Identity } from './persistence/subject-store';
import { Resolver } from './resolver';
import { checkFinalParameters } from './final-parameters';
import { Throttles } from './throttles';

export interface TriggerFireDeps {
  entities: EntityStore;
  resolver: Resolver;
  invoker: Invoker;
  activations: ActivationStore;
  throttles: Throttles;
}

/** Rules of a trigger, from the rule entities (the trigger's `rules` map is derived from them). */
export function rulesOfTrigger(entities: EntityStore, trigger: QualifiedName): RuleEntity[] {
  return entities.list('rule', `${trigger.namespace}/`)
    .map((entity) => entity.doc as RuleEntity)
    .filter((rule) => rule.trigger.path === trigger.namespace && rule.trigger.name === trigger.name);
}

/**
 * What deleting a trigger does to its rules. The controller keeps a rule's status in its trigger's
 * document (`rules` map), so the rules stay but read as inactive, and a trigger created again under
 * the same name starts without active rules until they are enabled again.
 */
export async function unlinkRulesOf(entities: EntityStore, trigger: QualifiedName): Promise<void> {
  for (const rule of rulesOfTrigger(entities, trigger)) {
    if (rule.status === 'inactive') continue;
    await entities.update(`${trigger.namespace}/${rule.name}`, (current) =>
      current?.type === 'rule' ? { entity: { type: 'rule', doc: { ...current.doc, status: 'inactive' } }, result: undefined } : { result: undefined });
  }
}

/**
 * Fires `trigger` as `caller`. Returns the trigger activation id, or undefined when no rule is active
 * (the API answers 204 then and records nothing). Throws 404 for a missing trigger, 429 when throttled.
 */
export function fireTrigger(deps: TriggerFireDeps, caller: Identity, trigger: QualifiedName, event: Record<string, unknown>): string | undefined {
  const entity: TriggerEntity = deps.resolver.entityOfType(pathOf(trigger), 'trigger');
  const rules = rulesOfTrigger(deps.entities, trigger);
  if (!rules.some((rule) => rule.status === 'active')) return undefined;
  deps.throttles.admitFire(caller.namespace);
  const start = Date.now();
  const payload = { ...paramsToObject(entity.parameters), ...event };
  const logs = rules.map((rule) => JSON.stringify(activateRule(deps, caller, rule, payload)));
  const activationId = newActivationId();
  const record: ActivationRecord = {
    namespace: caller.namespace,
    name: entity.name,
    version: entity.version,
    subject: caller.subject,
    activationId,
    // No end and no duration, as the controller records trigger activations (end = EPOCH).
    start,
    response: responseOf('success', event),
    logs,
    annotations: [],
    publish: false,
  };
  deps.activations.add(record);
  return activationId;
}

function activateRule(deps: TriggerFireDeps, caller: Identity, rule: RuleEntity, payload: Record<string, unknown>): Record<string, unknown> {
  const ruleName = `${caller.namespace}/${rule.name}`;
  const actionName = `${rule.action.path}/${rule.action.name}`;
  if (rule.status !== 'active') {
    return { statusCode: 1, success: false, error: Messages.triggerWithInactiveRule(ruleName, actionName), action: actionName, rule: ruleName };
  }
  try {
    const [namespace, pkg] = rule.action.path.split('/');
    const target = deps.resolver.resolveAction(caller, { namespace: namespace ?? caller.namespace, ...(pkg ? { pkg } : {}), name: rule.action.name });
    checkFinalParameters(target, payload);
    deps.throttles.admitInvocation(caller.namespace);
    const { activationId } = deps.invoker.invoke({ caller, target, payload });
    return { statusCode: 0, success: true, activationId, action: actionName, rule: ruleName };
  } catch (error) {
    return {
      statusCode: statusOf(error),
      success: false,
      error: (error as Error).message,
      action: actionName,
      rule: ruleName,
    };
  }
}
