import { runStarted } from '../../../lib/events/build';
import { EVENT_TYPES } from '../../../lib/events/types';
import { startRun } from '../../../lib/core/transition';
import { compileWorkflow } from '../../../lib/model/compile';
import { compile, finishOf, T0 } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { simulate } from '../../helpers/simulate';

describe('choice, loops and ends', () => {
  const loop = compile(`
name: loop
stages:
  - { id: inc, kind: task, action: inc, input: $, resultPath: $ }
  - id: more
    kind: choice
    rules: [{ when: { path: $.n, lt: 3 }, next: inc }]
    default: done
  - { id: done, kind: succeed, output: $.n }
`);

  it('loops back through a choice, numbering each visit of a stage in its task keys', () => {
    const simulation = simulate(loop, { n: 0 }, { actions: { inc: (params) => ({ result: { n: (params.n as number) + 1 } }) } });
    expect(simulation.invocations.map((invoke) => invoke.taskKey)).toEqual(['inc:1:0:1', 'inc:2:0:1', 'inc:3:0:1']);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: 3 });
    expect(simulation.state.visits).toEqual({ inc: 3, more: 3, done: 1 });
  });

  it('fails with NoChoiceMatched when no rule holds and there is no default', () => {
    const workflow = compile(`
name: nc
stages:
  - id: pick
    kind: choice
    rules: [{ when: { path: $.kind, equals: a }, next: a }]
  - { id: a, kind: succeed }
`);
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'nc', input: { kind: 'b' }, time: T0 }));
    expect(started.state.error).toMatchObject({ error: 'whiskflow.NoChoiceMatched', stageId: 'pick' });
  });

  it('stops a loop of choices that never runs a task', () => {
    // Deploy refuses such a loop (lib/model/validate.ts), so the model is built without the parser:
    // the guard stays for definitions stored before that check.
    const workflow = compileWorkflow({
      name: 'spin',
      stages: [{ id: 'spin', kind: 'choice', rules: [{ when: { kind: 'exists', path: '$.x', value: true }, next: 'spin' }] }],
    });
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'spin', input: { x: 1 }, time: T0 }));
    expect(started.state.error).toMatchObject({ error: 'whiskflow.InstantLoop' });
  });

  it('a fail stage ends the run with its error and cause, and finishes exactly once', () => {
    const workflow = compile(`
name: f
stages:
  - { id: check, kind: task, action: echo }
  - { id: stop, kind: fail, error: Rejected, cause: amount too large }
`);
    const simulation = simulate(workflow, { amount: 10 }, { actions });
    expect(finishOf(simulation)).toEqual({ kind: 'finish', runId: 'run-1', status: 'failed', error: { error: 'Rejected', cause: 'amount too large', stageId: 'stop' } });
    expect(simulation.state).toMatchObject({ status: 'failed', finishedAt: expect.any(String), threads: {} });
    const finished = simulation.effects.filter((effect) => effect.kind === 'emit' && effect.event.type === EVENT_TYPES.runFinished);
    expect(finished).toHaveLength(1);
  });
});
