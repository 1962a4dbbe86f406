import { runStarted, taskCompleted, taskFailed } from '../../../lib/events/build';
import { startRun, transition } from '../../../lib/core/transition';
import { compile, finishOf, invokes, stageCompletions, T0 } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { simulate } from '../../helpers/simulate';

describe('parallel', () => {
  const parallel = compile(`
name: p
stages:
  - id: both
    kind: parallel
    input: $.in
    resultPath: $.out
    branches:
      - stages:
          - { id: a1, kind: task, action: echo, params: { step: a1 } }
          - { id: a2, kind: task, action: echo, params: { tag: a2 }, resultPath: $.second }
      - stages:
          - { id: b1, kind: task, action: echo, params: { step: b1 } }
      - stages:
          - { id: c1, kind: succeed, output: $.x }
`);

  it.each(['fifo', 'lifo', { seed: 11 }] as const)('runs branches at once and joins their results in branch order (%j)', (order) => {
    const simulation = simulate(parallel, { in: { x: 1 } }, { actions, order });
    expect(finishOf(simulation)).toEqual({
      kind: 'finish',
      runId: 'run-1',
      status: 'succeeded',
      result: { in: { x: 1 }, out: [{ x: 1, step: 'a1', second: { x: 1, step: 'a1', tag: 'a2' } }, { x: 1, step: 'b1' }, 1] },
    });
    expect(stageCompletions(simulation.effects, 'both')).toHaveLength(1);
  });

  it('starts every branch from the same event', () => {
    const started = startRun(parallel, runStarted({ runId: 'r', workflow: 'p', input: { in: { x: 1 } }, time: T0 }));
    expect(invokes(started.effects).map((invoke) => invoke.stageId)).toEqual(['a1', 'b1']);
    expect(Object.keys(started.state.threads).sort()).toEqual(['root', 'root/both.1.0', 'root/both.1.1']);
  });

  const failing = compile(`
name: pf
stages:
  - id: both
    kind: parallel
    catch: [{ errors: [Broken], next: recover, resultPath: $.problem }]
    branches:
      - stages: [{ id: slow, kind: task, action: echo }]
      - stages: [{ id: bad, kind: task, action: breaks }]
  - { id: unreached, kind: succeed }
  - { id: recover, kind: succeed, output: $.problem }
`);

  it('a failing branch fails the parallel stage, cancels the other branches and is caught', () => {
    const workflow = failing;
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'pf', input: {}, time: T0 }));
    const failed = transition(workflow, started.state, taskFailed({ runId: 'r', taskKey: 'bad:1:0:1', error: { error: 'Broken', cause: 'disk' }, activationId: 'act-9', time: T0 }));
    expect(failed.state.status).toBe('succeeded');
    expect(failed.state.result).toEqual({ error: 'Broken', cause: 'disk', stageId: 'bad', activationId: 'act-9' });
    expect(failed.state.threads).toEqual({});
    const late = transition(workflow, failed.state, taskCompleted({ runId: 'r', taskKey: 'slow:1:0:1', result: {}, time: T0 }));
    expect(late.effects).toEqual([]);
  });

  it('an uncaught branch failure fails the run with the branch error', () => {
    const started = startRun(failing, runStarted({ runId: 'r', workflow: 'pf', input: {}, time: T0 }));
    const failed = transition(failing, started.state, taskFailed({ runId: 'r', taskKey: 'bad:1:0:1', error: { error: 'Other' }, time: T0 }));
    expect(failed.state.status).toBe('failed');
    expect(failed.state.error).toMatchObject({ error: 'Other', stageId: 'bad' });
  });
});
