import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrorCode } from '../../../lib/errors';
import { parseWorkflow, toWorkflow } from '../../../lib/model/parse';
import type { ChoiceStage, MapStage, ReduceStage, TaskStage } from '../../../lib/model/workflow';
import { FIXTURES_DIR } from '../../helpers/fixtures';


/** The InvalidWorkflowError details thrown by parsing `document`, or a failure if nothing was thrown. */
function rejection(document: unknown): { path: string; value: unknown; expected: string } {
  try {
    toWorkflow(document);
  } catch (thrown) {
    if (!hasErrorCode(thrown, 'INVALID_WORKFLOW')) throw thrown;
    return thrown.details as { path: string; value: unknown; expected: string };
  }
  throw new Error('expected the workflow to be rejected');
}

const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'task', action: 'echo', ...extra });

describe('parseWorkflow: every fixture is valid', () => {
  it.each(readdirSync(FIXTURES_DIR).filter((file) => file.endsWith('.yaml')))('%s', (file) => {
    const workflow = parseWorkflow(readFileSync(join(FIXTURES_DIR, file), 'utf8'));
    expect(workflow.name).toBe(file.replace(/\.yaml$/, ''));
    expect(workflow.stages.length).toBeGreaterThan(0);
  });
});

describe('parseWorkflow: rejections name the JSON path, the value and what was expected', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['missing name', { stages: [task('a')] }, '$.name', /required/],
    ['no stages', { name: 'w', stages: [] }, '$.stages', /fewer than 1/],
    ['unknown top-level field', { name: 'w', stages: [task('a')], steps: [] }, '$.steps', /allowed: name, version, description, stages/],
    ['unknown stage kind', { name: 'w', stages: [{ id: 'a', kind: 'lambda' }] }, '$.stages[0].kind', /task, map, reduce/],
    ['task without action', { name: 'w', stages: [{ id: 'a', kind: 'task' }] }, '$.stages[0].action', /required/],
    ['bad stage id', { name: 'w', stages: [task('1a')] }, '$.stages[0].id', /starting with a letter/],
    ['bad data path', { name: 'w', stages: [task('a', { input: 'a.b' })] }, '$.stages[0].input', /data path/],
    ['result path neither path nor null', { name: 'w', stages: [task('a', { resultPath: 3 })] }, '$.stages[0].resultPath', /null to discard/],
    ['negative concurrency', { name: 'w', stages: [{ id: 'm', kind: 'map', items: '$', action: 'x', concurrency: 0 }] }, '$.stages[0].concurrency', />= 1/],
    ['retry field typo', { name: 'w', stages: [task('a', { retry: { maxAttempt: 3 } })] }, '$.stages[0].retry.maxAttempt', /no such field/],
    ['condition with two operators', {
      name: 'w', stages: [{ id: 'c', kind: 'choice', rules: [{ when: { path: '$.a', gt: 1, lt: 3 }, next: 'c' }] }],
    }, '$.stages[0].rules[0].when', /a condition/],
    ['next names an unknown stage', { name: 'w', stages: [task('a', { next: 'nowhere' })] }, '$.stages[0].next', /same list \(one of a\)/],
    ['catch names an unknown stage', { name: 'w', stages: [task('a', { catch: [{ next: 'b' }] })] }, '$.stages[0].catch[0].next', /same list/],
    ['choice default unknown', {
      name: 'w', stages: [{ id: 'c', kind: 'choice', rules: [{ when: { path: '$.a', exists: true }, next: 'c' }], default: 'zz' }],
    }, '$.stages[0].default', /same list/],
    ['duplicate id across a branch', {
      name: 'w', stages: [{ id: 'p', kind: 'parallel', branches: [{ stages: [task('a')] }] }, task('a')],
    }, '$.stages[1].id', /already used at \$\.stages\[0\]\.branches\[0\]\.stages\[0\]/],
    ['jump out of a branch', {
      name: 'w', stages: [{ id: 'p', kind: 'parallel', branches: [{ stages: [task('a', { next: 'after' })] }] }, task('after')],
    }, '$.stages[0].branches[0].stages[0].next', /same list/],
    ['next and end together', { name: 'w', stages: [task('a', { next: 'a', end: true })] }, '$.stages[0].end', /not both/],
    ['reduce without a map before it', { name: 'w', stages: [task('a'), { id: 'r', kind: 'reduce', action: 'sum' }] }, '$.stages[1].from', /map or parallel/],
    ['reduce from a later map', {
      name: 'w', stages: [{ id: 'r', kind: 'reduce', action: 'sum', from: 'm' }, { id: 'm', kind: 'map', items: '$', action: 'x' }],
    }, '$.stages[0].from', /map or parallel/],
  ])('%s', (_name, document, path, expected) => {
    const details = rejection(document);
    expect(details.path).toBe(path);
    expect(details.expected).toMatch(expected);
  });

  it('reports the offending value', () => {
    expect(rejection({ name: 'w', stages: [task('a', { next: 'nowhere' })] }).value).toBe('nowhere');
  });

  it('rejects text that is not YAML with line information', () => {
    expect(() => parseWorkflow('name: [unclosed')).toThrow(/YAML or JSON text \(line \d+/);
  });
});

describe('parseWorkflow: the typed model', () => {
  const workflow = parseWorkflow(`
name: model
stages:
  - id: fetch
    kind: task
    action: /guest/utils/fetch
    params: { limit: 3 }
    retry: { maxAttempts: 4, backoff: { initialMs: 100 } }
    timeout: 5000
    catch: [{ errors: [Boom], next: recover }]
  - id: fan
    kind: map
    items: $.list
    action: work
  - id: total
    kind: reduce
    action: add
    resultPath: null
  - id: decide
    kind: choice
    rules:
      - when: { and: [{ path: $.n, ge: 2 }, { not: { path: $.name, matches: "tmp-*" } }] }
        next: recover
  - id: recover
    kind: succeed
`);
  const [fetch, fan, total, decide] = workflow.stages as [TaskStage, MapStage, ReduceStage, ChoiceStage];

  it('fills defaults for data selection and retry backoff', () => {
    expect(fetch).toMatchObject({ input: '$', resultPath: '$', output: '$', timeoutMs: 5000, params: { limit: 3 } });
    expect(fetch.retry).toEqual({ maxAttempts: 4, backoff: { initialMs: 100, multiplier: 2, maxMs: 60000 } });
    expect(fetch.catch).toEqual([{ errors: ['Boom'], next: 'recover', resultPath: '$.error' }]);
  });

  it('has a map with no concurrency bound unless one is given', () => {
    expect(fan.concurrency).toBeUndefined();
    expect(fan.items).toBe('$.list');
  });

  it('lets a reduce default `from` to the preceding map and keeps a null result path', () => {
    expect(total.from).toBe('fan');
    expect(total.resultPath).toBeNull();
  });

  it('normalises conditions into kinds', () => {
    expect(decide.rules[0]?.when).toEqual({
      kind: 'and',
      conditions: [
        { kind: 'ge', path: '$.n', value: 2 },
        { kind: 'not', condition: { kind: 'matches', path: '$.name', value: 'tmp-*' } },
      ],
    });
  });

  it('accepts JSON text as well as YAML', () => {
    expect(parseWorkflow(JSON.stringify({ name: 'j', stages: [task('a')] })).stages[0]).toMatchObject({ id: 'a', kind: 'task' });
  });
});
