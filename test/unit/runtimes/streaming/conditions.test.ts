/** The stream conditions, table-driven and pure: a context goes in, a new one and a verdict come out. */
import { createContext, evaluateStreamCondition, type ConditionContext, type Input, type Observation, type StreamCondition, type Verdict } from '../../../../lib/runtimes/streaming/conditions';

const T0 = '2026-01-01T00:00:00.000Z';
const ok = (id: string, slot: number | undefined, data: unknown, stageId = 'work'): Input => ({
  kind: 'event',
  observation: { id, stageId, data: data as Observation['data'], failed: false, ...(slot === undefined ? {} : { slot }) },
});
const bad = (id: string, slot: number, stageId = 'work'): Input => ({ kind: 'event', observation: { id, stageId, slot, data: { error: 'E' }, failed: true } });
const tick = (ms: number): Input => ({ kind: 'tick', time: new Date(Date.parse(T0) + ms).toISOString() });

/** Feeds `inputs` in order; returns every verdict. Checks on the way that no context is mutated. */
function run(condition: StreamCondition, inputs: Input[]): Verdict[] {
  let context: ConditionContext = createContext(condition, T0);
  return inputs.map((input) => {
    const before = JSON.stringify(context);
    const verdict = evaluateStreamCondition(condition, context, input);
    expect(JSON.stringify(context)).toBe(before);
    context = verdict.context;
    return verdict;
  });
}

const kinds = (verdicts: Verdict[]): string[] => verdicts.map((verdict) => verdict.kind);

describe('stream conditions', () => {
  it.each<{ name: string; condition: StreamCondition; inputs: Input[]; expected: string[]; results?: unknown[] }>([
    {
      name: 'join fires once all slots arrived, results in slot order whatever the arrival order',
      condition: { kind: 'join', expected: 3 },
      inputs: [ok('e2', 2, 'c'), ok('e0', 0, 'a'), ok('e1', 1, 'b')],
      expected: ['waiting', 'waiting', 'fired'],
      results: ['a', 'b', 'c'],
    },
    {
      name: 'join ignores a redelivered event and a second completion of a filled slot',
      condition: { kind: 'join', expected: 2 },
      inputs: [ok('e0', 0, 'a'), ok('e0', 0, 'a'), ok('e0-again', 0, 'x'), ok('e1', 1, 'b'), ok('e1', 1, 'b')],
      expected: ['waiting', 'unchanged', 'unchanged', 'fired', 'unchanged'],
      results: ['a', 'b'],
    },
    {
      name: 'join fails on a failed task and stays failed',
      condition: { kind: 'join', expected: 2 },
      inputs: [ok('e0', 0, 'a'), bad('e1', 1), ok('e1b', 1, 'b')],
      expected: ['waiting', 'failed', 'unchanged'],
    },
    {
      name: 'threshold fires on the k-th distinct success and never again',
      condition: { kind: 'threshold', k: 2, of: 4 },
      inputs: [ok('e3', 3, 'd'), ok('e3', 3, 'd'), ok('e1', 1, 'b'), ok('e0', 0, 'a')],
      expected: ['waiting', 'unchanged', 'fired', 'unchanged'],
      results: ['b', 'd'],
    },
    {
      name: 'threshold fails once k successes are out of reach',
      condition: { kind: 'threshold', k: 3, of: 4 },
      inputs: [bad('e0', 0), ok('e1', 1, 'b'), bad('e2', 2)],
      expected: ['waiting', 'waiting', 'failed'],
    },
    {
      name: 'predicate fires on the first event whose data matches',
      condition: { kind: 'predicate', when: { kind: 'gt', path: '$.score', value: 0.9 } },
      inputs: [ok('e0', undefined, { score: 0.5 }), ok('e1', undefined, { score: 0.95 }), ok('e2', undefined, { score: 0.99 })],
      expected: ['waiting', 'fired', 'unchanged'],
      results: [{ score: 0.95 }],
    },
    {
      name: 'all-of waits for every stage, each part seeing only its own stage',
      condition: { kind: 'all-of', parts: [{ stageId: 'a', condition: { kind: 'join', expected: 1 } }, { stageId: 'b', condition: { kind: 'join', expected: 2 } }] },
      inputs: [ok('b0', 0, 'b0', 'b'), ok('a0', 0, 'a0', 'a'), ok('x', 0, 'x', 'other'), ok('b1', 1, 'b1', 'b')],
      expected: ['waiting', 'waiting', 'unchanged', 'fired'],
      results: [['a0'], ['b0', 'b1']],
    },
    {
      name: 'timeout with onTimeout fire fires with the results so far once the deadline passes',
      condition: { kind: 'timeout', afterMs: 1000, onTimeout: 'fire', condition: { kind: 'join', expected: 3 } },
      inputs: [ok('e1', 1, 'b'), tick(999), tick(1000), ok('e0', 0, 'a')],
      expected: ['waiting', 'unchanged', 'fired', 'unchanged'],
      results: ['b'],
    },
    {
      name: 'timeout with onTimeout fail fails when a task never reports',
      condition: { kind: 'timeout', afterMs: 500, onTimeout: 'fail', condition: { kind: 'join', expected: 1 } },
      inputs: [tick(100), tick(600), ok('late', 0, 'a')],
      expected: ['unchanged', 'failed', 'unchanged'],
    },
    {
      name: 'timeout is the inner condition while time remains',
      condition: { kind: 'timeout', afterMs: 500, onTimeout: 'fail', condition: { kind: 'join', expected: 1 } },
      inputs: [ok('e0', 0, 'a'), tick(600)],
      expected: ['fired', 'unchanged'],
      results: ['a'],
    },
  ])('$name', ({ condition, inputs, expected, results }) => {
    const verdicts = run(condition, inputs);
    expect(kinds(verdicts)).toEqual(expected);
    const firing = verdicts.find((verdict) => verdict.kind === 'fired');
    if (results) expect(firing && firing.kind === 'fired' ? firing.results : undefined).toEqual(results);
    expect(verdicts.filter((verdict) => verdict.kind === 'fired').length).toBeLessThanOrEqual(1);
  });

  it('rejects a join slot outside the expected range (a caller bug, not a verdict)', () => {
    expect(() => run({ kind: 'join', expected: 2 }, [ok('e5', 5, 'x')])).toThrow(RangeError);
  });
});
