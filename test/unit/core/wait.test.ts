import { runStarted, taskCompleted, taskFailed } from '../../../lib/events/build';
import type { JsonObject } from '../../../lib/model/json';
import { startRun, transition } from '../../../lib/core/transition';
import type { ScheduleWakeEffect } from '../../../lib/core/effects';
import { compile, invokes, T0 } from './helpers';

const wakes = (effects: readonly { kind: string }[]): ScheduleWakeEffect[] => effects.filter((effect): effect is ScheduleWakeEffect => effect.kind === 'schedule-wake');

describe('wait stage', () => {
  const seconds = compile(`
name: w
stages:
  - { id: pause, kind: wait, seconds: 90 }
  - { id: after, kind: task, action: echo }
`);

  it('parks on a timer due `seconds` after it was entered, invoking nothing', () => {
    const started = startRun(seconds, runStarted({ runId: 'r', workflow: 'w', input: { a: 1 }, time: T0 }));
    expect(invokes(started.effects)).toEqual([]);
    expect(wakes(started.effects)).toEqual([{
      kind: 'schedule-wake', taskKey: 'pause:1:0:1', at: '2026-01-01T00:01:30.000Z',
      event: expect.objectContaining({ type: 'dev.whiskflow.task.completed', data: expect.objectContaining({ runId: 'r', taskKey: 'pause:1:0:1' }) }),
    }]);
    expect(started.state.threads.root).toMatchObject({ stageId: 'pause', wait: { kind: 'timer', due: '2026-01-01T00:01:30.000Z' } });
  });

  it('goes on with its data unchanged when the timer fires, and a second firing changes nothing', () => {
    const started = startRun(seconds, runStarted({ runId: 'r', workflow: 'w', input: { a: 1 }, time: T0 }));
    const [wake] = wakes(started.effects);
    const woken = transition(seconds, started.state, wake!.event);
    expect(invokes(woken.effects).map((invoke) => [invoke.stageId, invoke.params])).toEqual([['after', { a: 1 }]]);
    const again = transition(seconds, woken.state, wake!.event);
    expect(again.effects).toEqual([]);
    // Even under another event id (a timer fired by two interpreters): the wait is over.
    const other = transition(seconds, woken.state, { ...wake!.event, id: 'another-id' });
    expect(invokes(other.effects)).toEqual([]);
  });

  it('ignores a failure reported for its timer', () => {
    const started = startRun(seconds, runStarted({ runId: 'r', workflow: 'w', input: {}, time: T0 }));
    const failed = transition(seconds, started.state, taskFailed({ runId: 'r', taskKey: 'pause:1:0:1', error: { error: 'Forged' }, time: T0 }));
    expect(failed.state.status).toBe('running');
    expect(failed.state.threads.root?.stageId).toBe('pause');
  });

  const until = compile(`
name: u
stages:
  - { id: hold, kind: wait, until: $.deadline, next: done }
  - { id: never, kind: fail, error: Skipped }
  - { id: done, kind: succeed }
`);

  it('waits until an ISO 8601 time of the data (normalized to UTC)', () => {
    const started = startRun(until, runStarted({ runId: 'r', workflow: 'u', input: { deadline: '2026-03-01T09:00:00+01:00' }, time: T0 }));
    expect(wakes(started.effects).map((wake) => wake.at)).toEqual(['2026-03-01T08:00:00.000Z']);
    const done = transition(until, started.state, wakes(started.effects)[0]!.event);
    expect(done.state).toMatchObject({ status: 'succeeded', result: { deadline: '2026-03-01T09:00:00+01:00' } });
  });

  it('a time already past wakes as soon as the interpreter fires it', () => {
    const started = startRun(until, runStarted({ runId: 'r', workflow: 'u', input: { deadline: '2020-01-01T00:00:00Z' }, time: T0 }));
    expect(wakes(started.effects).map((wake) => wake.at)).toEqual(['2020-01-01T00:00:00.000Z']);
  });

  it.each([
    ['a phrase', 'next tuesday', 'is "next tuesday"'],
    ['a number', 1767225600000, 'is 1767225600000'],
    ['nothing', undefined, 'is missing'],
  ])('fails whiskflow.InvalidTime naming the stage and field when until is %s', (_label, deadline, shown) => {
    const input: JsonObject = deadline === undefined ? {} : { deadline };
    const started = startRun(until, runStarted({ runId: 'r', workflow: 'u', input, time: T0 }));
    expect(started.state.status).toBe('failed');
    expect(started.state.error).toMatchObject({ error: 'whiskflow.InvalidTime', stageId: 'hold' });
    expect(started.state.error?.cause).toContain('wait stage hold, field until');
    expect(started.state.error?.cause).toContain(shown);
  });

  it('runs inside a parallel branch and the simulation ends', () => {
    const workflow = compile(`
name: p
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: w, kind: wait, seconds: 1 }, { id: a, kind: task, action: echo, params: { b: 1 } }]
      - stages: [{ id: c, kind: task, action: echo, params: { b: 2 } }]
`);
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'p', input: {}, time: T0 }));
    const [wake] = wakes(started.effects);
    let state = transition(workflow, started.state, taskCompleted({ runId: 'r', taskKey: 'c:1:0:1', result: { b: 2 }, time: T0 })).state;
    const woken = transition(workflow, state, wake!.event);
    state = woken.state;
    const [invoke] = invokes(woken.effects);
    state = transition(workflow, state, taskCompleted({ runId: 'r', taskKey: invoke!.taskKey, result: { b: 1 }, time: T0 })).state;
    expect(state).toMatchObject({ status: 'succeeded', result: [{ b: 1 }, { b: 2 }] });
  });
});
