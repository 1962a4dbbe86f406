/**
 * A park as numbered tasks (lib/core/park-tasks.ts), as the native runtime stores them: how many
 * tasks and how many at once, what each task runs, and the park's outcome from their results.
 */
import { enteredWithPark, parkCompletion, parkOutcome, parkRunner, parkTasks, parkWakeTime, reduceSource, reduceTaskParams } from '../../../lib/core/park-tasks';
import { parkAt, type Park } from '../../../lib/core/scope';
import type { CompiledWorkflow } from '../../../lib/model/compile';
import type { Json } from '../../../lib/model/json';
import { compile, T0 } from './helpers';

function parkOf(workflow: CompiledWorkflow, stepId: string, data: Json, joins: Record<string, true> = {}): Park {
  const park = parkAt(workflow, stepId, data, { hasJoin: (id) => joins[id] === true });
  if (!park) throw new Error(`${stepId} does not park`);
  return park;
}

describe('parks as numbered tasks', () => {
  const workflow = compile(`
name: parks
stages:
  - id: fan
    kind: map
    items: $.xs
    action: double
    concurrency: 2
    completion: { atLeast: 2 }
  - { id: sum, kind: reduce, from: fan, action: add }
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: one, kind: task, action: echo, resultPath: $.echoed }]
      - stages: [{ id: first, kind: task, action: echo, next: second }, { id: second, kind: task, action: echo }]
  - { id: ask, kind: task, action: approve, callback: true, heartbeatSeconds: 30 }
  - { id: pause, kind: wait, seconds: 90 }
`);

  it('a map: one task per element, the window at once, its policy; an element runs the action on its item', () => {
    const park = parkOf(workflow, 'fan', { xs: [1, 2, 3] });
    expect(parkTasks(park)).toEqual({ taskCount: 3, window: 2 });
    expect(parkCompletion(park)).toEqual({ required: 2 });
    expect(parkRunner(workflow, park, 2)).toMatchObject({ runsAs: 'action', stageId: 'fan', element: 2, params: { value: 3 }, callback: false });
    expect(() => parkRunner(workflow, park, 3)).toThrow(/no element 3/);
    expect(parkOutcome(workflow, park, [2, 4])).toEqual({ outcome: { status: 'succeeded', result: [2, 4] }, joined: [2, 4] });
  });

  it('a reduce: one task over the results of its source', () => {
    const park = parkOf(workflow, 'sum', {}, { fan: true });
    expect(parkTasks(park)).toEqual({ taskCount: 1, window: 1 });
    expect(parkRunner(workflow, park, 0)).toMatchObject({ runsAs: 'action', params: 'reduce' });
    expect(reduceSource(park)).toBe('fan');
    expect(reduceTaskParams(park, [2, 4])).toEqual({ results: [2, 4] });
    expect(reduceSource(parkOf(workflow, 'ask', {}))).toBeUndefined();
  });

  it('a parallel stage: a single-task branch runs as a task of its own stage, a longer branch as a child run', () => {
    const park = parkOf(workflow, 'both', { v: 1 });
    expect(parkTasks(park)).toEqual({ taskCount: 2, window: 2 });
    expect(parkRunner(workflow, park, 0)).toMatchObject({ runsAs: 'action', stageId: 'one', element: 0 });
    expect(parkRunner(workflow, park, 1)).toEqual({ runsAs: 'child-run', startStep: 'first', input: { v: 1 } });
    expect(enteredWithPark(workflow, park).map((step) => step.id)).toEqual(['one']);
    // The single-task branch's result goes through its task's resultPath and output; the child run's is its output already.
    expect(parkOutcome(workflow, park, [{ r: 1 }, { done: true }])).toEqual({
      outcome: { status: 'succeeded', result: [{ v: 1, echoed: { r: 1 } }, { done: true }] }, joined: [{ v: 1, echoed: { r: 1 } }, { done: true }],
    });
  });

  it('a callback task carries its heartbeat limit; a wait is one slot no task fills, woken at its time', () => {
    expect(parkRunner(workflow, parkOf(workflow, 'ask', {}), 0)).toMatchObject({ runsAs: 'action', callback: true, heartbeatMs: 30_000 });
    const pause = parkOf(workflow, 'pause', {});
    expect(parkTasks(pause)).toEqual({ taskCount: 1, window: 0 });
    expect(parkRunner(workflow, pause, 0)).toEqual({ runsAs: 'timer' });
    expect(parkWakeTime(pause, T0)).toBe('2026-01-01T00:01:30.000Z');
    expect(parkWakeTime(parkOf(workflow, 'ask', {}), T0)).toBeUndefined();
    expect(parkOutcome(workflow, pause, [null]).outcome).toEqual({ status: 'succeeded', result: null });
  });
});
