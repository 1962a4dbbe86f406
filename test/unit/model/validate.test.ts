/**
 * Deploy-time refusal of loops that run no task: a cycle of choices (through rules and defaults,
 * within one scope) would only spin until the engine's run-time guard failed it with
 * `whiskflow.InstantLoop`. A cycle through any stage that may run a task is accepted.
 */
import { hasErrorCode } from '../../../lib/errors';
import { toWorkflow } from '../../../lib/model/parse';

const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'task', action: 'echo', ...extra });
const choice = (id: string, targets: string[], fallback?: string) => ({
  id, kind: 'choice',
  rules: targets.map((next, index) => ({ when: { path: '$.n', equals: index }, next })),
  ...(fallback !== undefined ? { default: fallback } : {}),
});
const done = { id: 'done', kind: 'succeed' };

function rejection(document: unknown): { message: string; path: string; value: unknown } {
  try {
    toWorkflow(document);
  } catch (thrown) {
    if (!hasErrorCode(thrown, 'INVALID_WORKFLOW')) throw thrown;
    const details = thrown.details as { path: string; value: unknown };
    return { message: thrown.message, path: details.path, value: details.value };
  }
  throw new Error('expected the workflow to be refused');
}

describe('validation: loops that run no task', () => {
  it('refuses a choice that jumps to itself, naming the loop and the jump', () => {
    const refused = rejection({ name: 'w', stages: [choice('spin', ['spin'], 'done'), done] });
    expect(refused.path).toBe('$.stages[0].rules[0].next');
    expect(refused.value).toBe('spin');
    expect(refused.message).toContain('stages spin -> spin form a loop that runs no task');
  });

  it('refuses two choices that send the run back and forth through their defaults', () => {
    const refused = rejection({
      name: 'w',
      stages: [task('fetch'), choice('check', ['done'], 'retry-check'), choice('retry-check', ['done'], 'check'), done],
    });
    expect(refused.path).toBe('$.stages[2].default');
    expect(refused.message).toContain('stages check -> retry-check -> check form a loop that runs no task');
  });

  it('refuses a loop of three choices found through a later rule', () => {
    const refused = rejection({
      name: 'w',
      stages: [choice('a', ['done', 'b']), choice('b', ['c']), choice('c', ['done'], 'a'), done],
    });
    expect(refused.message).toContain('stages a -> b -> c -> a form a loop that runs no task');
  });

  it('refuses such a loop inside a parallel branch (each branch is its own scope)', () => {
    const refused = rejection({
      name: 'w',
      stages: [{ id: 'p', kind: 'parallel', branches: [{ stages: [task('t')] }, { stages: [choice('x', ['y']), choice('y', ['x'])] }] }],
    });
    expect(refused.path).toBe('$.stages[0].branches[1].stages[1].rules[0].next');
    expect(refused.message).toContain('stages x -> y -> x form a loop that runs no task');
  });

  it.each<[string, unknown[]]>([
    ['a loop back to a task', [task('inc'), choice('more', ['inc'], 'done'), done]],
    ['a loop through a map', [{ id: 'm', kind: 'map', items: '$.xs', action: 'echo' }, choice('again', ['m'], 'done'), done]],
    ['a loop through a parallel stage', [{ id: 'p', kind: 'parallel', branches: [{ stages: [task('t')] }] }, choice('again', ['p'], 'done'), done]],
    ['a loop through a catch of a task', [choice('pick', ['t'], 'done'), task('t', { input: '$.maybe', catch: [{ next: 'pick', resultPath: null }] }), done]],
    ['choices that join without looping', [choice('a', ['b', 'c']), choice('b', ['c'], 'done'), choice('c', ['done'], 'done'), done]],
  ])('accepts %s', (_name, stages) => {
    expect(() => toWorkflow({ name: 'w', stages })).not.toThrow();
  });
});
