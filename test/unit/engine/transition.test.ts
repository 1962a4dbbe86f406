import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runStarted, taskCompleted, taskFailed, taskTimedOut } from '../../../lib/events/build';
import { EVENT_TYPES, type StageCompletedEvent } from '../../../lib/events/types';
import type { Effect, FinishEffect, InvokeEffect } from '../../../lib/engine/effects';
import { startRun, transition } from '../../../lib/engine/transition';
import { compileWorkflow, type CompiledWorkflow } from '../../../lib/model/compile';
import { isJsonObject, type Json, type JsonObject } from '../../../lib/model/json';
import { parseWorkflow } from '../../../lib/model/parse';
import { simulate, type FakeAction, type Simulation } from './simulate';

const FIXTURES = join(__dirname, '../../fixtures/workflows');
const fixture = (name: string): CompiledWorkflow => compileWorkflow(parseWorkflow(readFileSync(join(FIXTURES, `${name}.yaml`), 'utf8')));
const compile = (yaml: string): CompiledWorkflow => compileWorkflow(parseWorkflow(yaml));
const T0 = '2026-01-01T00:00:00.000Z';

const finishOf = (simulation: Simulation): FinishEffect => {
  const finishes = simulation.effects.filter((effect): effect is FinishEffect => effect.kind === 'finish');
  expect(finishes).toHaveLength(1);
  return finishes[0] as FinishEffect;
};
const stageCompletions = (effects: Effect[], stageId: string): StageCompletedEvent[] => effects
  .flatMap((effect) => (effect.kind === 'emit' && effect.event.type === EVENT_TYPES.stageCompleted && effect.event.data.stageId === stageId ? [effect.event] : []));
const invokes = (effects: Effect[]): InvokeEffect[] => effects.filter((effect): effect is InvokeEffect => effect.kind === 'invoke');

/** Fake actions of the fixtures. */
const numbers = (params: JsonObject): number[] => (params.value as number[]);
const actions: Record<string, FakeAction> = {
  echo: (params) => ({ result: params }),
  sum: (params) => ({ result: { sum: numbers(params).reduce((total, n) => total + n, 0) } }),
  sumall: (params) => ({ result: { sum: (params.results as { sum: number }[]).reduce((total, part) => total + part.sum, 0), parts: (params.results as { sum: number }[]).map((part) => part.sum) } }),
  wait: (params) => ({ result: { waited: params.ms ?? params.value ?? 0 } }),
  'wordcount/count': (params) => {
    const counts: Record<string, number> = {};
    for (const word of String(params.value).split(/\s+/).filter(Boolean)) counts[word] = (counts[word] ?? 0) + 1;
    return { result: counts };
  },
  'wordcount/merge': (params) => {
    const merged: Record<string, number> = {};
    for (const counts of params.results as Record<string, number>[]) {
      for (const [word, count] of Object.entries(counts)) merged[word] = (merged[word] ?? 0) + count;
    }
    return { result: merged };
  },
};

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
  const input = (name: string): Json => JSON.parse(readFileSync(join(FIXTURES, `${name}.input.json`), 'utf8')) as Json;

  it('map-reduce sums 1..20 and routes to `large`', () => {
    const simulation = simulate(fixture('mapreduce'), input('mapreduce'), { actions, order: { seed: 5 } });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { sum: 210, parts: [10, 26, 42, 58, 74] } });
    expect(stageCompletions(simulation.effects, 'large')).toHaveLength(1);
  });

  it('word count merges the counts of every chunk', () => {
    const simulation = simulate(fixture('wordcount'), input('wordcount'), { actions, order: 'lifo' });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: { the: 5, fox: 4, dog: 3, over: 3, quick: 2, lazy: 2, and: 3, a: 2 } });
  });

  it('80 waits with their input finish with 80 results', () => {
    const simulation = simulate(fixture('parallel-waits'), input('parallel-waits'), { actions, order: { seed: 8 } });
    expect(finishOf(simulation)).toMatchObject({ status: 'succeeded', result: Array.from({ length: 80 }, () => ({ waited: 1000 })) });
  });
});

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

  it('without a bound starts every element at once with element params over static params', () => {
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
    const changed = compile(readFileSync(join(FIXTURES, 'sequence-waits.yaml'), 'utf8').replace('version: "1"', 'version: "2"'));
    expect(() => transition(changed, state, taskCompleted({ runId: 'r', taskKey: 'wait1:1:0:1', result: {}, time: T0 }))).toThrow(/sequence-waits@1/);
  });
});

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
    const workflow = compile(`
name: spin
stages:
  - id: spin
    kind: choice
    rules: [{ when: { path: $.x, exists: true }, next: spin }]
`);
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

function deepFreeze<T>(value: T): T {
  if (isJsonObject(value as Json) || Array.isArray(value)) {
    Object.values(value as object).forEach((inner) => deepFreeze(inner));
    Object.freeze(value);
  }
  return value;
}
