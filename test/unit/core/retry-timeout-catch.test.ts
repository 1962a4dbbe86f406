import { runStarted, taskCompleted, taskFailed, taskTimedOut } from '../../../lib/events/build';
import { startRun, transition } from '../../../lib/core/transition';
import type { Json } from '../../../lib/model/json';
import { compile, finishOf, stageCompletions, T0 } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { simulate, type FakeAction } from '../../helpers/simulate';

describe('retry, timeout and catch', () => {
  const flaky = (failures: number, error = 'Flaky'): FakeAction => (params, attempt) => (attempt <= failures ? { error: { error, cause: `attempt ${attempt}` } } : { result: { ok: attempt } });
  const retrying = (retry: string, extra = '') => compile(`
name: r
stages:
  - id: call
    kind: task
    action: flaky
    retry: ${retry}
    ${extra}
`);

  it('retries with exponential backoff and succeeds on a later attempt', () => {
    const simulation = simulate(retrying('{ maxAttempts: 4, backoff: { initialMs: 100, multiplier: 3, maxMs: 10000 } }'), {}, { actions: { flaky: flaky(3) } });
    expect(simulation.retryDelays).toEqual([100, 300, 900]);
    expect(simulation.invocations.map((invoke) => invoke.taskKey)).toEqual(['call:1:0:1', 'call:1:0:2', 'call:1:0:3', 'call:1:0:4']);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { ok: 4 } });
    expect(simulation.state.tasks['call:1:0:1']).toMatchObject({ status: 'failed', error: { error: 'Flaky', cause: 'attempt 1' } });
  });

  it('caps the backoff at maxMs', () => {
    const simulation = simulate(retrying('{ maxAttempts: 5, backoff: { initialMs: 1000, multiplier: 10, maxMs: 5000 } }'), {}, { actions: { flaky: flaky(4) } });
    expect(simulation.retryDelays).toEqual([1000, 5000, 5000, 5000]);
  });

  it('gives up after maxAttempts and fails the run with the last cause and activation', () => {
    const simulation = simulate(retrying('{ maxAttempts: 2, backoff: { initialMs: 10 } }'), {}, { actions: { flaky: flaky(5) } });
    expect(simulation.invocations).toHaveLength(2);
    expect(finishOf(simulation)).toEqual({
      kind: 'finish',
      runId: 'run-1',
      status: 'failed',
      error: { error: 'Flaky', cause: 'attempt 2', stageId: 'call', taskKey: 'call:1:0:2', activationId: 'act-call:1:0:2' },
    });
  });

  it('only retries the errors it names', () => {
    const simulation = simulate(retrying('{ maxAttempts: 5, errors: [Throttled] }'), {}, { actions: { flaky: flaky(1, 'Fatal') } });
    expect(simulation.invocations).toHaveLength(1);
    expect(finishOf(simulation)).toMatchObject({ status: 'failed', error: { error: 'Fatal' } });
  });

  it('a timeout counts as a failed attempt, is retried, and the invoke carries the limit', () => {
    let calls = 0;
    const hangsOnce: FakeAction = () => ((calls += 1) === 1 ? 'hang' : { result: { done: true } });
    const simulation = simulate(retrying('{ maxAttempts: 2, backoff: { initialMs: 50 } }', 'timeout: 2000'), {}, { actions: { flaky: hangsOnce } });
    expect(simulation.invocations.map((invoke) => invoke.timeoutMs)).toEqual([2000, 2000]);
    expect(simulation.state.tasks['call:1:0:1']?.status).toBe('timed-out');
    const retryTimer = simulation.effects.find((effect) => effect.kind === 'retry-after');
    expect(retryTimer?.kind === 'retry-after' && retryTimer.then.map((effect) => effect.kind)).toEqual(['invoke', 'schedule-timeout']);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { done: true } });
  });

  it('a timeout without retries fails the run with whiskflow.Timeout', () => {
    const workflow = compile('name: t\nstages: [{ id: call, kind: task, action: slow, timeout: 500 }]');
    const simulation = simulate(workflow, {}, { actions: { slow: () => 'hang' } });
    expect(finishOf(simulation)).toMatchObject({ status: 'failed', error: { error: 'whiskflow.Timeout', cause: 'no result within 500 ms', stageId: 'call' } });
  });

  it('ignores a timeout of an attempt that already completed, and a late failure of a replaced attempt', () => {
    const workflow = retrying('{ maxAttempts: 3, backoff: { initialMs: 10 } }', 'timeout: 100');
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'r', input: {}, time: T0 }));
    const timedOut = transition(workflow, started.state, taskTimedOut({ runId: 'r', taskKey: 'call:1:0:1', timeoutMs: 100, time: T0 }));
    expect(timedOut.effects.map((effect) => effect.kind)).toEqual(['retry-after']);
    const staleFailure = transition(workflow, timedOut.state, taskFailed({ runId: 'r', taskKey: 'call:1:0:1', error: { error: 'Late' }, time: T0 }));
    expect(staleFailure.effects).toEqual([]);
    const lateSuccess = transition(workflow, staleFailure.state, taskCompleted({ runId: 'r', taskKey: 'call:1:0:1', result: { late: true }, time: T0 }));
    expect(lateSuccess.state.status).toBe('succeeded');
    const timerOfAttempt2 = transition(workflow, lateSuccess.state, taskTimedOut({ runId: 'r', taskKey: 'call:1:0:2', timeoutMs: 100, time: T0 }));
    expect(timerOfAttempt2.effects).toEqual([]);
  });

  const catching = compile(`
name: c
stages:
  - id: risky
    kind: task
    action: breaks
    catch:
      - { errors: [NotFound], next: missing, resultPath: null }
      - { next: handle }
  - { id: unreached, kind: fail, error: Unreached }
  - { id: missing, kind: succeed }
  - { id: handle, kind: task, action: echo, resultPath: $.handled }
`);

  it.each<[string, string, Json]>([
    ['routes a matching error name to its stage, keeping the data', 'NotFound', { order: 1 }],
    ['routes any other error to the catch-all with the error in the data', 'Boom', {
      order: 1,
      error: { error: 'Boom', cause: 'why', stageId: 'risky', activationId: 'act-risky:1:0:1' },
      handled: { order: 1, error: { error: 'Boom', cause: 'why', stageId: 'risky', activationId: 'act-risky:1:0:1' } },
    }],
  ])('catch %s', (_name, errorName, result) => {
    const simulation = simulate(catching, { order: 1 }, { actions: { ...actions, breaks: () => ({ error: { error: errorName, cause: 'why' } }) } });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result });
    expect(stageCompletions(simulation.effects, 'risky')[0]?.data.status).toBe('failed');
  });
});
