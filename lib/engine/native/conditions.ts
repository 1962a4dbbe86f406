/**
 * Choice conditions evaluated over the run's data. Pure; one handler per condition kind in a
 * table keyed by the union, so a new kind does not compile until it is handled here.
 */
import { isJsonObject, type Json } from '../../model/json';
import { selectPath } from '../../model/path';
import type { ChoiceStage, Condition, ConditionKind } from '../../model/workflow';

type Evaluate<K extends ConditionKind> = (condition: Extract<Condition, { kind: K }>, data: Json) => boolean;

function compare(condition: { path: string; value: number | string }, data: Json, holds: (order: number) => boolean): boolean {
  const seen = selectPath(data, condition.path);
  if (typeof seen === 'number' && typeof condition.value === 'number') return holds(seen - condition.value);
  if (typeof seen === 'string' && typeof condition.value === 'string') return holds(seen < condition.value ? -1 : seen > condition.value ? 1 : 0);
  return false;
}

/** `*` matches any run of characters; everything else is literal (no user regular expressions). */
function globMatches(text: string, glob: string): boolean {
  const parts = glob.split('*');
  const first = parts[0] ?? '';
  if (!text.startsWith(first)) return false;
  let position = first.length;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (i === parts.length - 1) return text.length - part.length >= position && text.endsWith(part);
    const found = text.indexOf(part, position);
    if (found < 0) return false;
    position = found + part.length;
  }
  return position === text.length;
}

function deepEqual(a: Json | undefined, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as Json));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key] as Json));
  }
  return false;
}

const evaluators: { [K in ConditionKind]: Evaluate<K> } = {
  equals: (c, data) => deepEqual(selectPath(data, c.path), c.value),
  lt: (c, data) => compare(c, data, (order) => order < 0),
  le: (c, data) => compare(c, data, (order) => order <= 0),
  gt: (c, data) => compare(c, data, (order) => order > 0),
  ge: (c, data) => compare(c, data, (order) => order >= 0),
  exists: (c, data) => (selectPath(data, c.path) !== undefined) === c.value,
  matches: (c, data) => {
    const seen = selectPath(data, c.path);
    return typeof seen === 'string' && globMatches(seen, c.value);
  },
  and: (c, data) => c.conditions.every((inner) => evaluate(inner, data)),
  or: (c, data) => c.conditions.some((inner) => evaluate(inner, data)),
  not: (c, data) => !evaluate(c.condition, data),
};

export function evaluate(condition: Condition, data: Json): boolean {
  return (evaluators[condition.kind] as Evaluate<ConditionKind>)(condition as never, data);
}

/** The stage a choice continues at, or undefined when no rule holds and there is no default. */
export function choose(stage: ChoiceStage, data: Json): string | undefined {
  return stage.rules.find((rule) => evaluate(rule.when, data))?.next ?? stage.default;
}
