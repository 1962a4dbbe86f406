/**
 * Choice conditions: pure predicates over the run data. One evaluator per condition kind, in a
 * table typed by the union, so a new kind does not compile until it is handled here.
 */
import { isJsonObject, type Json } from '../model/json';
import { selectPath } from '../model/path';
import type { ChoiceRule, Condition, ConditionKind } from '../model/workflow';

/** The union member(s) whose `kind` admits K (comparisons share one member for lt/le/gt/ge). */
type ConditionOf<K extends ConditionKind> = Condition extends infer C ? (C extends { kind: infer CK } ? (K extends CK ? C : never) : never) : never;
type Evaluate<K extends ConditionKind> = (condition: ConditionOf<K>, data: Json) => boolean;
type Evaluators = { [K in ConditionKind]: Evaluate<K> };

const evaluators: Evaluators = {
  equals: (condition, data) => {
    const found = selectPath(data, condition.path);
    return found !== undefined && deepEqual(found, condition.value);
  },
  lt: (condition, data) => compare(selectPath(data, condition.path), condition.value, (order) => order < 0),
  le: (condition, data) => compare(selectPath(data, condition.path), condition.value, (order) => order <= 0),
  gt: (condition, data) => compare(selectPath(data, condition.path), condition.value, (order) => order > 0),
  ge: (condition, data) => compare(selectPath(data, condition.path), condition.value, (order) => order >= 0),
  exists: (condition, data) => (selectPath(data, condition.path) !== undefined) === condition.value,
  matches: (condition, data) => {
    const found = selectPath(data, condition.path);
    return typeof found === 'string' && globMatches(condition.value, found);
  },
  and: (condition, data) => condition.conditions.every((inner) => evaluateCondition(inner, data)),
  or: (condition, data) => condition.conditions.some((inner) => evaluateCondition(inner, data)),
  not: (condition, data) => !evaluateCondition(condition.condition, data),
};

/** Whether `condition` holds for `data`. A missing path makes every comparison false. */
export function evaluateCondition(condition: Condition, data: Json): boolean {
  // The mapped type guarantees the evaluator for `condition.kind` accepts that condition.
  const evaluate = evaluators[condition.kind] as (condition: Condition, data: Json) => boolean;
  return evaluate(condition, data);
}

/** The `next` of the first rule that holds, else `fallback` (the choice's `default`, maybe none). */
export function chooseNext(rules: readonly ChoiceRule[], data: Json, fallback: string | undefined): string | undefined {
  return rules.find((rule) => evaluateCondition(rule.when, data))?.next ?? fallback;
}

/** Numbers compare with numbers and strings with strings (code unit order); anything else is false. */
function compare(found: Json | undefined, expected: number | string, holds: (order: number) => boolean): boolean {
  if (typeof found === 'number' && typeof expected === 'number') return holds(found - expected);
  if (typeof found === 'string' && typeof expected === 'string') return holds(found < expected ? -1 : found > expected ? 1 : 0);
  return false;
}

/**
 * `*` matches any run of characters (also none), `\*` a literal star; everything else literally.
 * Linear-time matching without building a RegExp from user text.
 */
export function globMatches(pattern: string, text: string): boolean {
  const tokens = tokenizeGlob(pattern);
  let textIndex = 0;
  let tokenIndex = 0;
  let starToken = -1;
  let starText = 0;
  while (textIndex < text.length) {
    const token = tokens[tokenIndex];
    if (token !== undefined && token !== STAR && token === text[textIndex]) {
      tokenIndex += 1;
      textIndex += 1;
    } else if (token === STAR) {
      starToken = tokenIndex;
      starText = textIndex;
      tokenIndex += 1;
    } else if (starToken >= 0) {
      tokenIndex = starToken + 1;
      starText += 1;
      textIndex = starText;
    } else {
      return false;
    }
  }
  while (tokens[tokenIndex] === STAR) tokenIndex += 1;
  return tokenIndex === tokens.length;
}

const STAR = Symbol('star');

function tokenizeGlob(pattern: string): (string | typeof STAR)[] {
  const tokens: (string | typeof STAR)[] = [];
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (char === '\\' && pattern[index + 1] === '*') {
      tokens.push('*');
      index += 1;
    } else {
      tokens.push(char === '*' ? STAR : char);
    }
  }
  return tokens;
}

function deepEqual(left: Json, right: Json): boolean {
  if (left === right) return true;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index] as Json));
  }
  if (isJsonObject(left) && isJsonObject(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length
      && keys.every((key) => key in right && deepEqual(left[key] as Json, right[key] as Json));
  }
  return false;
}
