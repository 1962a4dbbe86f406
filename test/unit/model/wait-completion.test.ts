/** The wire format of wait stages and completion policies: parsed into the model, bad values refused naming stage and field. */
import { hasErrorCode } from '../../../lib/errors';
import { toWorkflow } from '../../../lib/model/parse';
import { compileWorkflow } from '../../../lib/model/compile';

function rejection(document: unknown): { message: string; path: string } {
  try {
    toWorkflow(document);
  } catch (thrown) {
    if (!hasErrorCode(thrown, 'INVALID_WORKFLOW')) throw thrown;
    return { message: thrown.message, path: (thrown.details as { path: string }).path };
  }
  throw new Error('expected the workflow to be refused');
}

const branch = (id: string) => ({ stages: [{ id, kind: 'task', action: 'a' }] });

describe('wait stages', () => {
  it('parse and compile with seconds or until', () => {
    const workflow = toWorkflow({ name: 'w', stages: [{ id: 'p', kind: 'wait', seconds: 1.5 }, { id: 'q', kind: 'wait', until: '$.at' }] });
    expect(workflow.stages).toEqual([{ id: 'p', kind: 'wait', seconds: 1.5 }, { id: 'q', kind: 'wait', until: '$.at' }]);
    expect(compileWorkflow(workflow).steps.p).toEqual({ id: 'p', kind: 'wait', seconds: 1.5, next: 'q', scope: { kind: 'root' }, catch: [] });
  });

  it('refuses negative seconds at the stage field', () => {
    expect(rejection({ name: 'w', stages: [{ id: 'p', kind: 'wait', seconds: -1 }] }).path).toBe('$.stages[0].seconds');
  });

  it('refuses both or neither of seconds and until, naming the stage', () => {
    for (const stage of [{ id: 'p', kind: 'wait' }, { id: 'p', kind: 'wait', seconds: 1, until: '$.t' }]) {
      const refused = rejection({ name: 'w', stages: [stage] });
      expect(refused.path).toBe('$.stages[0].seconds');
      expect(refused.message).toContain('wait stage p');
    }
  });

  it('refuses an until that is not a data path', () => {
    expect(rejection({ name: 'w', stages: [{ id: 'p', kind: 'wait', until: 'tomorrow' }] }).path).toBe('$.stages[0].until');
  });
});

describe('completion policies', () => {
  it.each([
    ['all', { required: 'all' }],
    ['any', { required: 1 }],
    [{ atLeast: 2 }, { required: 2 }],
  ])('completion %j parses to %j', (completion, policy) => {
    const workflow = toWorkflow({ name: 'w', stages: [{ id: 'm', kind: 'map', items: '$.xs', action: 'a', completion }] });
    expect(workflow.stages[0]).toMatchObject({ completion: policy });
  });

  it('takes tolerated failures by count and percentage, and leaves maps without a policy as they were', () => {
    const workflow = toWorkflow({ name: 'w', stages: [
      { id: 'm', kind: 'map', items: '$.xs', action: 'a', toleratedFailureCount: 1, toleratedFailurePercentage: 10 },
      { id: 'n', kind: 'map', items: '$.xs', action: 'a' },
    ] });
    expect(workflow.stages[0]).toMatchObject({ completion: { required: 'all', toleratedFailures: 1, toleratedFailurePercentage: 10 } });
    expect(workflow.stages[1]).not.toHaveProperty('completion');
    expect(compileWorkflow(workflow).steps.m).toMatchObject({ completion: { required: 'all', toleratedFailures: 1 } });
  });

  it('refuses atLeast above the branches of a parallel stage, naming stage and field', () => {
    const refused = rejection({ name: 'w', stages: [{ id: 'p', kind: 'parallel', completion: { atLeast: 3 }, branches: [branch('a'), branch('b')] }] });
    expect(refused.path).toBe('$.stages[0].completion.atLeast');
    expect(refused.message).toContain('parallel stage p (2)');
  });

  it.each([
    [{ completion: { atLeast: 0 } }, '$.stages[0].completion'],
    [{ completion: 'some' }, '$.stages[0].completion'],
    [{ toleratedFailureCount: -1 }, '$.stages[0].toleratedFailureCount'],
    [{ toleratedFailurePercentage: 101 }, '$.stages[0].toleratedFailurePercentage'],
  ])('refuses %j at %s', (extra, path) => {
    expect(rejection({ name: 'w', stages: [{ id: 'm', kind: 'map', items: '$.xs', action: 'a', ...extra }] }).path).toBe(path);
  });
});
