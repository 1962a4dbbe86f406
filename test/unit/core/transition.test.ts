import { runStarted, taskCompleted } from '../../../lib/events/build';
import { recordActivationId } from '../../../lib/core/run-state';
import { startRun, transition } from '../../../lib/core/transition';
import { compile, deepFreeze, finishOf, fixture, invokes, stageCompletions, T0 } from './helpers';
import { fixtureActions as actions } from '../../helpers/fake-actions';
import { simulate } from '../../helpers/simulate';
import { fixtureInput, fixtureSource } from '../../helpers/fixtures';

describe('fixtures run to the expected result, whatever the delivery order', () => {
  const orders = ['fifo', 'lifo', { seed: 7 }, { seed: 42 }] as const;

  it.each(orders)('map-reduce (5 sums → sumall → choice), order %j', (order) => {
    const chunks = [[1, 2], [3, 4], [5, 6], [7, 8], [90]];
    const simulation = simulate(fixture('mapreduce'), { chunks }, { actions, order });
    expect(finishOf(simulation)).toEqual({ kind: 'finish', runId: 'run-1', status: 'succeeded', result: { sum: 126, parts: [3, 7, 11, 15, 90] } });
    expect(simulation.maxInFlight.sum).toBe(5);
    expect(stageCompletions(simulation.effects, 'large')).toHaveLength(1);
    expect(stageCompletions(simulation.effects, 'small')).toHaveLength(0);
  });

  it('map-reduce takes the other branch of the choice for a small total', () => {
    const simulation = simulate(fixture('mapreduce'), { chunks: [[1], [2], [3], [4], [5]] }, { actions });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { sum: 15 } });
    expect(stageCompletions(simulation.effects, 'small')).toHaveLength(1);
  });

  it.each(orders)('80 parallel waits are all started at once and joined once, order %j', (order) => {
    const waits = Array.from({ length: 80 }, (_, index) => index);
    const simulation = simulate(fixture('parallel-waits'), { waits }, { actions, order });
    const started = startRun(fixture('parallel-waits'), runStarted({ runId: 'r', workflow: 'parallel-waits', input: { waits }, time: T0 }));
    expect(invokes(started.effects)).toHaveLength(80);
    expect(started.effects.filter((effect) => effect.kind === 'schedule-timeout')).toHaveLength(80);
    expect(stageCompletions(simulation.effects, 'waits')).toHaveLength(1);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: waits.map((waited) => ({ waited })) });
  });

  it('a sequence of waits invokes one task at a time, in order, and records every activation', () => {
    const simulation = simulate(fixture('sequence-waits'), {}, { actions, order: { seed: 3 } });
    expect(simulation.invocations.map((invoke) => invoke.taskKey)).toEqual(['wait1:1:0:1', 'wait2:1:0:1', 'wait3:1:0:1', 'wait4:1:0:1', 'wait5:1:0:1']);
    expect(Object.values(simulation.maxInFlight)).toEqual([1, 1, 1, 1, 1]);
    expect(simulation.invocations[1]?.params).toEqual({ ms: 100, waited: 100 });
    const records = Object.values(simulation.state.tasks);
    expect(records.map((record) => [record.status, record.activationId])).toEqual(
      ['wait1', 'wait2', 'wait3', 'wait4', 'wait5'].map((id) => ['succeeded', `act-${id}:1:0:1`]),
    );
    expect(records.every((record) => record.endedAt !== undefined && record.endedAt > record.startedAt)).toBe(true);
  });

  it.each(orders)('word count maps over chunks at most 10 at a time, then merges, order %j', (order) => {
    const chunks = Array.from({ length: 25 }, (_, index) => `the fox ${index % 2 === 0 ? 'jumps' : 'sleeps'} the end`);
    const simulation = simulate(fixture('wordcount'), { chunks }, { actions, order });
    expect(simulation.maxInFlight.count).toBe(10);
    expect(simulation.invocations.filter((invoke) => invoke.stageId === 'count')).toHaveLength(25);
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { the: 50, fox: 25, jumps: 13, sleeps: 12, end: 25 } });
  });
});

describe('fixture inputs', () => {

  it('map-reduce sums 1..20 and routes to `large`', () => {
    const simulation = simulate(fixture('mapreduce'), fixtureInput('mapreduce'), { actions, order: { seed: 5 } });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { sum: 210, parts: [10, 26, 42, 58, 74] } });
    expect(stageCompletions(simulation.effects, 'large')).toHaveLength(1);
  });

  it('word count merges the counts of every chunk', () => {
    const simulation = simulate(fixture('wordcount'), fixtureInput('wordcount'), { actions, order: 'lifo' });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { the: 5, fox: 4, dog: 3, over: 3, quick: 2, lazy: 2, and: 3, a: 2 } });
  });

  it('80 waits with their input finish with 80 results', () => {
    const simulation = simulate(fixture('parallel-waits'), fixtureInput('parallel-waits'), { actions, order: { seed: 8 } });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: Array.from({ length: 80 }, () => ({ waited: 1000 })) });
  });
});

describe('duplicates and stale events', () => {
  it('delivering every event twice changes nothing: no effects from copies, same result, joins fire once', () => {
    const chunks = [[1], [2], [3], [4], [5]];
    const once = simulate(fixture('mapreduce'), { chunks }, { actions, order: { seed: 9 } });
    const twice = simulate(fixture('mapreduce'), { chunks }, { actions, order: { seed: 9 }, duplicate: true });
    expect(twice.duplicateEffects).toBe(0);
    expect(finishOf(twice)).toEqual(finishOf(once));
    expect(stageCompletions(twice.effects, 'sum')).toHaveLength(1);
  });

  it('a completion re-sent under a new event id is still ignored (deduplicated by task key)', () => {
    const workflow = fixture('mapreduce');
    let { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'mapreduce', input: { chunks: [[1], [2]] }, time: T0 }));
    state = transition(workflow, state, taskCompleted({ runId: 'r', taskKey: 'sum:1:0:1', result: { sum: 1 }, time: T0 })).state;
    const again = transition(workflow, state, taskCompleted({ id: 'another-id', runId: 'r', taskKey: 'sum:1:0:1', result: { sum: 100 }, time: T0 }));
    expect(again.effects).toEqual([]);
    const last = transition(workflow, again.state, taskCompleted({ runId: 'r', taskKey: 'sum:1:1:1', result: { sum: 2 }, time: T0 }));
    expect(invokes(last.effects)[0]?.params).toEqual({ results: [{ sum: 1 }, { sum: 2 }] });
  });

  it('an event id already applied returns the very same state and no effects', () => {
    const workflow = fixture('sequence-waits');
    const { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'sequence-waits', input: {}, time: T0 }));
    const event = taskCompleted({ runId: 'r', taskKey: 'wait1:1:0:1', result: {}, time: T0 });
    const applied = transition(workflow, state, event);
    expect(applied.state.seenEventIds).toContain(event.id);
    const again = transition(workflow, applied.state, event);
    expect(again.state).toBe(applied.state);
    expect(again.effects).toEqual([]);
  });

  it('with a concurrency bound, a re-sent completion does not start the next element again', () => {
    const workflow = compile('name: b\nstages: [{ id: m, kind: map, items: $, concurrency: 1, action: echo }]');
    let { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'b', input: [1, 2, 3], time: T0 }));
    const first = transition(workflow, state, taskCompleted({ runId: 'r', taskKey: 'm:1:0:1', result: 1, time: T0 }));
    expect(invokes(first.effects).map((invoke) => invoke.taskKey)).toEqual(['m:1:1:1']);
    state = first.state;
    const resent = transition(workflow, state, taskCompleted({ id: 'redelivered', runId: 'r', taskKey: 'm:1:0:1', result: 1, time: T0 }));
    expect(resent.effects).toEqual([]);
  });

  it('events for unknown stages, finished runs and other runs are handled safely', () => {
    const workflow = fixture('sequence-waits');
    const { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'sequence-waits', input: {}, time: T0 }));
    expect(transition(workflow, state, taskCompleted({ runId: 'r', taskKey: 'wait3:1:0:1', result: {}, time: T0 })).effects).toEqual([]);
    expect(transition(workflow, state, runStarted({ id: 'other', runId: 'r', workflow: 'sequence-waits', input: {}, time: T0 })).effects).toEqual([]);
    expect(() => transition(workflow, state, taskCompleted({ runId: 'elsewhere', taskKey: 'wait1:1:0:1', result: {}, time: T0 }))).toThrow(/not r/);
  });

  it('never mutates the state it is given', () => {
    const workflow = fixture('mapreduce');
    const { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'mapreduce', input: { chunks: [[1], [2]] }, time: T0 }));
    const frozen = deepFreeze(structuredClone(state));
    const next = transition(workflow, frozen, taskCompleted({ runId: 'r', taskKey: 'sum:1:0:1', result: { sum: 1 }, time: T0 }));
    expect(next.state).not.toBe(frozen);
    expect(frozen).toEqual(state);
  });

  it('refuses a run state made by another version of the workflow', () => {
    const { state } = startRun(fixture('sequence-waits'), runStarted({ runId: 'r', workflow: 'sequence-waits', input: {}, time: T0 }));
    const changed = compile(fixtureSource('sequence-waits').replace('version: "1"', 'version: "2"'));
    expect(() => transition(changed, state, taskCompleted({ runId: 'r', taskKey: 'wait1:1:0:1', result: {}, time: T0 }))).toThrow(/sequence-waits@1/);
  });
});

describe('recordActivationId', () => {
  it('notes the activation of a running task without touching the given state', () => {
    const workflow = fixture('sequence-waits');
    const { state } = startRun(workflow, runStarted({ runId: 'r', workflow: 'sequence-waits', input: {}, time: T0 }));
    const noted = recordActivationId(state, 'wait1:1:0:1', 'act-77');
    expect(noted.tasks['wait1:1:0:1']).toMatchObject({ status: 'started', activationId: 'act-77' });
    expect(state.tasks['wait1:1:0:1']?.activationId).toBeUndefined();
    expect(recordActivationId(state, 'ghost:1:0:1', 'x')).toBe(state);
  });
});
