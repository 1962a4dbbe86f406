/**
 * JSON views of entities as the controller serves them: full documents for GET, summaries for lists.
 */
import { ActionEntity, PackageEntity, RuleEntity, TriggerEntity, annotationValue, isSequence } from '../entities';

/**
 * The action as served. Its code is left out when not asked for, and when the entity store keeps it
 * on disk (EntityStore.withCode reads it first when it is to be served): a shallow copy, never a
 * deep one, since code may weigh tens of megabytes.
 */
export function actionView(action: ActionEntity, includeCode = true): Record<string, unknown> {
  if (isSequence(action.exec)) return { ...action };
  const { code, codeRef: _onDisk, ...exec } = action.exec as { code?: string; codeRef?: unknown; kind: string };
  return { ...action, exec: includeCode && code !== undefined ? { ...exec, code } : exec };
}

export function actionSummary(action: ActionEntity): Record<string, unknown> {
  const binary = 'binary' in action.exec ? action.exec.binary : false;
  return {
    namespace: action.namespace,
    name: action.name,
    version: action.version,
    publish: action.publish,
    annotations: action.annotations,
    limits: action.limits,
    exec: { binary },
    updated: action.updated,
  };
}

export function packageSummary(pkg: PackageEntity): Record<string, unknown> {
  return {
    namespace: pkg.namespace,
    name: pkg.name,
    version: pkg.version,
    publish: pkg.publish,
    annotations: pkg.annotations,
    binding: pkg.binding ?? {},
    updated: pkg.updated,
  };
}

/** A package with its actions and feeds (actions annotated `feed`), as `GET packages/{name}` answers. */
export function packageView(pkg: PackageEntity, contents: ActionEntity[], parameters = pkg.parameters): Record<string, unknown> {
  const item = (action: ActionEntity) => ({ name: action.name, version: action.version, annotations: action.annotations });
  return {
    ...packageSummary(pkg),
    parameters,
    actions: contents.filter((action) => annotationValue(action.annotations, 'feed') === undefined).map(item),
    feeds: contents.filter((action) => annotationValue(action.annotations, 'feed') !== undefined).map(item),
  };
}

export function triggerView(trigger: TriggerEntity, rules: RuleEntity[]): Record<string, unknown> {
  const ruleMap: Record<string, unknown> = {};
  for (const rule of rules) {
    ruleMap[`${trigger.namespace}/${rule.name}`] = { action: rule.action, status: rule.status };
  }
  return { ...trigger, ...(rules.length > 0 ? { rules: ruleMap } : {}) };
}

export function triggerSummary(trigger: TriggerEntity): Record<string, unknown> {
  return { namespace: trigger.namespace, name: trigger.name, version: trigger.version, publish: trigger.publish, annotations: trigger.annotations, updated: trigger.updated };
}

export function ruleView(rule: RuleEntity): Record<string, unknown> {
  return { ...rule };
}

/** Lists serve the rule documents, which have no status: it lives in the trigger (wsk gets each rule for it). */
export function ruleSummary(rule: RuleEntity): Record<string, unknown> {
  const { status: _status, ...stored } = rule;
  return stored;
}

/** Newest first, like the controller's list views (keyed on `updated`). */
export function newestFirst<T extends { updated: number }>(items: T[]): T[] {
  return items.sort((a, b) => b.updated - a.updated);
}
