import { runStarted, taskCompleted, taskFailed } from '../../../lib/events/build';
import { startRun, transition } from '../../../lib/core/transition';
import { compile, finishOf, invokes, T0 } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { DEFAULT_MAP_CONCURRENCY } from '../../../lib/model/workflow';
import { simulate } from '../../helpers/simulate';

describe('map', () => {
  const mapWorkflow = (concurrency?: number) => compile(`
name: m
stages:
  - id: each
    kind: map
    input: $.job
    items: $.list
    action: echo
    ${concurrency ? `concurrency: ${concurrency}` : ''}
    params: { tag: t }
    resultPath: $.out
`);

  it('without a bound starts DEFAULT_MAP_CONCURRENCY elements, and one more as each completes', () => {
    const list = Array.from({ length: DEFAULT_MAP_CONCURRENCY + 5 }, (_, index) => index);
    const workflow = mapWorkflow();
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'm', input: { job: { list } }, time: T0 }));
    expect(invokes(started.effects)).toHaveLength(DEFAULT_MAP_CONCURRENCY);
    const next = transition(workflow, started.state, taskCompleted({ runId: 'r', taskKey: 'each:1:2:1', result: {}, time: T0 }));
    expect(invokes(next.effects).map((invoke) => invoke.taskKey)).toEqual([`each:1:${2 + DEFAULT_MAP_CONCURRENCY}:1`]);
    const simulation = simulate(workflow, { job: { list } }, { actions, order: { seed: 3 } });
    expect(simulation.maxInFlight.each).toBe(DEFAULT_MAP_CONCURRENCY);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { out: list.map((value) => ({ tag: 't', value })) } });
  });

  it('without a bound starts every element of a narrower map at once with element params over static params', () => {
    const started = startRun(mapWorkflow(), runStarted({ runId: 'r', workflow: 'm', input: { job: { list: [1, { a: 2 }, 'x'] } }, time: T0 }));
    expect(invokes(started.effects).map((invoke) => [invoke.taskKey, invoke.params])).toEqual([
      ['each:1:0:1', { tag: 't', value: 1 }],
      ['each:1:1:1', { tag: 't', a: 2 }],
      ['each:1:2:1', { tag: 't', value: 'x' }],
    ]);
  });

  it('with a bound starts the next element as one completes, never more than the bound', () => {
    const list = Array.from({ length: 9 }, (_, index) => index);
    for (const seed of [1, 2, 3, 4, 5]) {
      const simulation = simulate(mapWorkflow(2), { job: { list } }, { actions, order: { seed } });
      expect(simulation.maxInFlight.each).toBe(2);
      expect(simulation.invocations).toHaveLength(9);
      expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { job: { list }, out: list.map((value) => ({ tag: 't', value })) } });
    }
  });

  it('a bound above the element count starts them all', () => {
    const started = startRun(mapWorkflow(50), runStarted({ runId: 'r', workflow: 'm', input: { job: { list: [1, 2] } }, time: T0 }));
    expect(invokes(started.effects)).toHaveLength(2);
  });

  it('over an empty array completes at once with no results', () => {
    const started = startRun(mapWorkflow(), runStarted({ runId: 'r', workflow: 'm', input: { job: { list: [] } }, time: T0 }));
    expect(started.effects.find((effect) => effect.kind === 'finish')).toEqual({ kind: 'finish', runId: 'r', status: 'succeeded', result: { job: { list: [] }, out: [] } });
  });

  it('over something that is not an array fails the run with ItemsNotArray', () => {
    const started = startRun(mapWorkflow(), runStarted({ runId: 'r', workflow: 'm', input: { job: { list: 'nope' } }, time: T0 }));
    expect(started.state.status).toBe('failed');
    expect(started.state.error).toMatchObject({ error: 'whiskflow.ItemsNotArray', stageId: 'each' });
  });

  it('fails fast when an element fails for good, and ignores the elements still running', () => {
    const workflow = mapWorkflow();
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'm', input: { job: { list: [1, 2, 3] } }, time: T0 }));
    const failed = transition(workflow, started.state, taskFailed({ runId: 'r', taskKey: 'each:1:1:1', error: { error: 'Bad', cause: 'odd input' }, activationId: 'a1', time: T0 }));
    expect(failed.state.status).toBe('failed');
    expect(failed.state.error).toEqual({ error: 'Bad', cause: 'element 1: odd input', stageId: 'each', taskKey: 'each:1:1:1', activationId: 'a1' });
    const late = transition(workflow, failed.state, taskCompleted({ runId: 'r', taskKey: 'each:1:0:1', result: {}, time: T0 }));
    expect(late.effects).toEqual([]);
    expect(late.state).toBe(failed.state);
  });
});
