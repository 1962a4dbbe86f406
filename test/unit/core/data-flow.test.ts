import type { Json, JsonObject } from '../../../lib/model/json';
import { compile, finishOf } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { simulate } from '../../helpers/simulate';

describe('data selection', () => {
  it.each<[string, string, Json, JsonObject, Json]>([
    ['defaults: the whole data in, the result replaces the data', '', { a: 1 }, { a: 1 }, { echoed: { a: 1 } }],
    ['input selects a part, resultPath places the result, output passes all', 'input: $.a\n    resultPath: $.r', { a: { b: 2 }, keep: true }, { b: 2 }, { a: { b: 2 }, keep: true, r: { echoed: { b: 2 } } }],
    ['a non-object input arrives as { value }', 'input: $.n', { n: 5 }, { value: 5 }, { echoed: { value: 5 } }],
    ['resultPath null discards the result', 'resultPath: null', { a: 1 }, { a: 1 }, { a: 1 }],
    ['output selects what is passed on', 'resultPath: $.r\n    output: $.r.echoed', { a: 1 }, { a: 1 }, { a: 1 }],
    ['static params are defaults under the input', 'params: { a: 0, z: 9 }', { a: 1 }, { a: 1, z: 9 }, { echoed: { a: 1, z: 9 } }],
  ])('%s', (_name, fields, input, expectedParams, expectedResult) => {
    const workflow = compile(`name: d\nstages:\n  - id: call\n    kind: task\n    action: wrap\n    ${fields}\n`);
    const simulation = simulate(workflow, input, { actions: { wrap: (params) => ({ result: { echoed: params } }) } });
    expect(simulation.invocations[0]?.params).toEqual(expectedParams);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: expectedResult });
  });

  it('an input path that selects nothing fails the stage with PathNotFound (catchable)', () => {
    const workflow = compile(`
name: d
stages:
  - { id: call, kind: task, action: echo, input: $.missing, catch: [{ next: fallback }] }
  - { id: fallback, kind: succeed, output: $.error.error }
`);
    const simulation = simulate(workflow, { other: 1 }, { actions });
    expect(simulation.invocations).toHaveLength(0);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: 'whiskflow.PathNotFound' });
  });
});
