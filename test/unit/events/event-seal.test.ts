import { attemptToken, canonicalJson, newEventKey, sameToken, workflowSeal } from '../../../lib/events/event-seal';

const attempt = { runId: 'r1', workflow: 'wf', position: 2, index: 3, attempt: 1 };

describe('event seal', () => {
  it('makes a token per attempt that another key, run, workflow or attempt does not match', () => {
    const key = newEventKey();
    const token = attemptToken(key, attempt);
    expect(sameToken(token, attemptToken(key, { ...attempt }))).toBe(true);
    for (const other of [{ ...attempt, attempt: 2 }, { ...attempt, index: 4 }, { ...attempt, position: 1 }, { ...attempt, runId: 'r2' }, { ...attempt, workflow: 'x' }]) {
      expect(sameToken(token, attemptToken(key, other))).toBe(false);
    }
    expect(sameToken(token, attemptToken(newEventKey(), attempt))).toBe(false);
  });

  it('compares only strings of the same length, in constant time', () => {
    expect(sameToken('abc', undefined)).toBe(false);
    expect(sameToken('abc', 42)).toBe(false);
    expect(sameToken('abc', 'ab')).toBe(false);
    expect(sameToken('abc', 'abc')).toBe(true);
  });

  it('seals a workflow name with its definition, whatever the order of the definition\'s keys', () => {
    const key = 'k';
    const definition = { name: 'wf', stages: [{ id: 'a', kind: 'task', action: 'x' }] };
    const reordered = { stages: [{ action: 'x', kind: 'task', id: 'a' }], name: 'wf' };
    expect(workflowSeal(key, 'wf', definition)).toBe(workflowSeal(key, 'wf', reordered));
    expect(workflowSeal(key, 'wf', definition)).not.toBe(workflowSeal(key, 'wf'));
    expect(workflowSeal(key, 'wf')).not.toBe(workflowSeal(key, 'other'));
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
  });
});
