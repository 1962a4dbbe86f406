import { chooseNext, evaluateCondition, globMatches } from '../../../lib/conditions/choice';
import type { Json } from '../../../lib/model/json';
import type { Condition } from '../../../lib/model/workflow';

const data: Json = { n: 5, name: 'report-2026.csv', tags: ['a', 'b'], nested: { ok: true, none: null }, zero: 0 };

describe('evaluateCondition', () => {
  it.each<[string, Condition, boolean]>([
    ['equals number', { kind: 'equals', path: '$.n', value: 5 }, true],
    ['equals other number', { kind: 'equals', path: '$.n', value: 6 }, false],
    ['equals deep array', { kind: 'equals', path: '$.tags', value: ['a', 'b'] }, true],
    ['equals array order matters', { kind: 'equals', path: '$.tags', value: ['b', 'a'] }, false],
    ['equals object', { kind: 'equals', path: '$.nested', value: { none: null, ok: true } }, true],
    ['equals null', { kind: 'equals', path: '$.nested.none', value: null }, true],
    ['equals on a missing path', { kind: 'equals', path: '$.missing', value: null }, false],
    ['lt', { kind: 'lt', path: '$.n', value: 6 }, true],
    ['lt equal', { kind: 'lt', path: '$.n', value: 5 }, false],
    ['le equal', { kind: 'le', path: '$.n', value: 5 }, true],
    ['gt', { kind: 'gt', path: '$.n', value: 4 }, true],
    ['gt zero value', { kind: 'gt', path: '$.zero', value: -1 }, true],
    ['ge', { kind: 'ge', path: '$.n', value: 6 }, false],
    ['string comparison', { kind: 'lt', path: '$.name', value: 's' }, true],
    ['number against string never holds', { kind: 'gt', path: '$.n', value: '1' }, false],
    ['comparison on missing path', { kind: 'lt', path: '$.missing', value: 1 }, false],
    ['exists true', { kind: 'exists', path: '$.nested.none', value: true }, true],
    ['exists false on missing', { kind: 'exists', path: '$.missing', value: false }, true],
    ['exists true on missing', { kind: 'exists', path: '$.missing', value: true }, false],
    ['matches glob', { kind: 'matches', path: '$.name', value: 'report-*.csv' }, true],
    ['matches glob mismatch', { kind: 'matches', path: '$.name', value: '*.json' }, false],
    ['matches on non-string', { kind: 'matches', path: '$.n', value: '*' }, false],
    ['and', { kind: 'and', conditions: [{ kind: 'gt', path: '$.n', value: 1 }, { kind: 'exists', path: '$.tags', value: true }] }, true],
    ['and short', { kind: 'and', conditions: [{ kind: 'gt', path: '$.n', value: 1 }, { kind: 'exists', path: '$.x', value: true }] }, false],
    ['or', { kind: 'or', conditions: [{ kind: 'gt', path: '$.n', value: 10 }, { kind: 'equals', path: '$.nested.ok', value: true }] }, true],
    ['or none', { kind: 'or', conditions: [{ kind: 'gt', path: '$.n', value: 10 }] }, false],
    ['not', { kind: 'not', condition: { kind: 'equals', path: '$.n', value: 5 } }, false],
  ])('%s', (_name, condition, expected) => {
    expect(evaluateCondition(condition, data)).toBe(expected);
  });
});

describe('globMatches', () => {
  it.each<[string, string, boolean]>([
    ['*', '', true],
    ['a*c', 'abbbc', true],
    ['a*c', 'abbbd', false],
    ['*a*a*a*', 'aaa', true],
    ['*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['a.c', 'abc', false],
    ['', '', true],
  ])('%s ~ %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('chooseNext', () => {
  const rules = [
    { when: { kind: 'gt', path: '$.n', value: 10 } as Condition, next: 'big' },
    { when: { kind: 'gt', path: '$.n', value: 1 } as Condition, next: 'medium' },
  ];
  it('picks the first rule that holds', () => expect(chooseNext(rules, { n: 50 }, 'small')).toBe('big'));
  it('falls through to later rules', () => expect(chooseNext(rules, { n: 5 }, 'small')).toBe('medium'));
  it('uses the default when none holds', () => expect(chooseNext(rules, { n: 0 }, 'small')).toBe('small'));
  it('gives nothing without a default', () => expect(chooseNext(rules, { n: 0 }, undefined)).toBeUndefined());
});
