import { runStarted, taskCompleted, taskFailed } from '../../../lib/events/build';
import { startRun, transition, type TransitionResult } from '../../../lib/core/transition';
import type { CompiledWorkflow } from '../../../lib/model/compile';
import { completionVerdict, toleratedFailures } from '../../../lib/conditions/completion';
import { compile, invokes, T0 } from './helpers';

const ok = (workflow: CompiledWorkflow, state: TransitionResult['state'], taskKey: string, result: unknown): TransitionResult =>
  transition(workflow, state, taskCompleted({ runId: 'r', taskKey, result: result as never, time: T0 }));
const ko = (workflow: CompiledWorkflow, state: TransitionResult['state'], taskKey: string, error = 'Down'): TransitionResult =>
  transition(workflow, state, taskFailed({ runId: 'r', taskKey, error: { error }, time: T0 }));

describe('completion policies (conditions/completion.ts)', () => {
  it.each([
    [undefined, { total: 3, succeeded: 2, failed: 0 }, 'pending'],
    [undefined, { total: 3, succeeded: 3, failed: 0 }, 'complete'],
    [undefined, { total: 3, succeeded: 0, failed: 1 }, 'failed'],
    [{ required: 'all' as const, toleratedFailures: 1 }, { total: 3, succeeded: 2, failed: 1 }, 'complete'],
    [{ required: 'all' as const, toleratedFailures: 1 }, { total: 3, succeeded: 1, failed: 1 }, 'pending'],
    [{ required: 'all' as const, toleratedFailurePercentage: 34 }, { total: 3, succeeded: 0, failed: 2 }, 'failed'],
    [{ required: 1 }, { total: 3, succeeded: 1, failed: 0 }, 'complete'],
    [{ required: 1 }, { total: 3, succeeded: 0, failed: 2 }, 'pending'],
    [{ required: 1 }, { total: 3, succeeded: 0, failed: 3 }, 'failed'],
    [{ required: 2 }, { total: 3, succeeded: 1, failed: 1 }, 'pending'],
    [{ required: 2 }, { total: 3, succeeded: 0, failed: 2 }, 'failed'],
    [{ required: 2, toleratedFailures: 0 }, { total: 3, succeeded: 1, failed: 1 }, 'failed'],
  ])('%j over %j is %s', (policy, counts, verdict) => {
    expect(completionVerdict(policy, counts)).toBe(verdict);
  });

  it('tolerates the lower of count and percentage', () => {
    expect(toleratedFailures({ required: 'all', toleratedFailures: 5, toleratedFailurePercentage: 20 }, 10)).toBe(2);
    expect(toleratedFailures({ required: 3 }, 10)).toBe(7);
  });
});

describe('map with a completion policy', () => {
  const hedged = compile(`
name: h
stages:
  - { id: ask, kind: map, items: $.mirrors, action: fetch, completion: any }
  - { id: pick, kind: reduce, action: first }
`);

  it('any: the first success completes the map; the reduce sees only it; late outcomes change nothing', () => {
    const started = startRun(hedged, runStarted({ runId: 'r', workflow: 'h', input: { mirrors: ['a', 'b', 'c'] }, time: T0 }));
    expect(invokes(started.effects)).toHaveLength(3);
    const first = ok(hedged, started.state, 'ask:1:2:1', { from: 'c' });
    expect(invokes(first.effects).map((invoke) => [invoke.stageId, invoke.params])).toEqual([['pick', { results: [{ from: 'c' }] }]]);
    const late = ok(hedged, first.state, 'ask:1:0:1', { from: 'a' });
    expect(invokes(late.effects)).toEqual([]);
    expect(ko(hedged, late.state, 'ask:1:1:1').state.status).toBe('running');
  });

  it('any: fails only when every element failed, with the last failure', () => {
    let state = startRun(hedged, runStarted({ runId: 'r', workflow: 'h', input: { mirrors: ['a', 'b'] }, time: T0 })).state;
    state = ko(hedged, state, 'ask:1:0:1', 'First').state;
    expect(state.status).toBe('running');
    state = ko(hedged, state, 'ask:1:1:1', 'Second').state;
    expect(state).toMatchObject({ status: 'failed', error: { error: 'Second', stageId: 'ask' } });
    expect(state.error?.cause).toContain('element 1');
  });

  const quorum = compile(`
name: q
stages:
  - { id: write, kind: map, items: $.replicas, action: put, completion: { atLeast: 2 }, concurrency: 2 }
`);

  it('atLeast k: complete at the k-th success with those results in input order; a failure starts the next of the window', () => {
    let result = startRun(quorum, runStarted({ runId: 'r', workflow: 'q', input: { replicas: [0, 1, 2] }, time: T0 }));
    expect(invokes(result.effects).map((invoke) => invoke.taskKey)).toEqual(['write:1:0:1', 'write:1:1:1']);
    result = ko(quorum, result.state, 'write:1:0:1');
    expect(invokes(result.effects).map((invoke) => invoke.taskKey)).toEqual(['write:1:2:1']);
    result = ok(quorum, result.state, 'write:1:2:1', 'r2');
    result = ok(quorum, result.state, 'write:1:1:1', 'r1');
    expect(result.state).toMatchObject({ status: 'succeeded', result: ['r1', 'r2'] });
  });

  it('a duplicate failure of the same slot counts once', () => {
    const tolerant = compile(`
name: t
stages:
  - { id: each, kind: map, items: $.xs, action: a, toleratedFailureCount: 1 }
`);
    let state = startRun(tolerant, runStarted({ runId: 'r', workflow: 't', input: { xs: [0, 1, 2] }, time: T0 })).state;
    state = ko(tolerant, state, 'each:1:0:1').state;
    state = transition(tolerant, state, taskFailed({ runId: 'r', taskKey: 'each:1:0:1', error: { error: 'Down' }, time: T0, id: 'other-id' })).state;
    expect(state.status).toBe('running');
    state = ok(tolerant, state, 'each:1:1:1', 1).state;
    state = ok(tolerant, state, 'each:1:2:1', 2).state;
    expect(state).toMatchObject({ status: 'succeeded', result: [1, 2] });
  });

  it('atLeast more than the elements fails CompletionUnreachable naming stage and field', () => {
    const state = startRun(quorum, runStarted({ runId: 'r', workflow: 'q', input: { replicas: [0] }, time: T0 })).state;
    expect(state.error).toMatchObject({ error: 'whiskflow.CompletionUnreachable', stageId: 'write' });
    expect(state.error?.cause).toContain('map stage write, field completion.atLeast');
  });
});

describe('parallel with a completion policy', () => {
  const race = compile(`
name: race
stages:
  - id: first
    kind: parallel
    completion: any
    branches:
      - stages: [{ id: slow, kind: task, action: a }, { id: slow2, kind: task, action: b }]
      - stages: [{ id: fast, kind: task, action: c }]
`);

  it('any: the first branch to end completes the stage; the others start nothing more', () => {
    let result = startRun(race, runStarted({ runId: 'r', workflow: 'race', input: {}, time: T0 }));
    result = ok(race, result.state, 'fast:1:0:1', { won: 'fast' });
    expect(result.state).toMatchObject({ status: 'succeeded', result: [{ won: 'fast' }] });
    const late = ok(race, result.state, 'slow:1:0:1', {});
    expect(late.effects).toEqual([]);
  });

  it('any: a failed branch is tolerated while another may still succeed', () => {
    let result = startRun(race, runStarted({ runId: 'r', workflow: 'race', input: {}, time: T0 }));
    result = ko(race, result.state, 'fast:1:0:1');
    expect(result.state.status).toBe('running');
    result = ok(race, result.state, 'slow:1:0:1', {});
    expect(invokes(result.effects).map((invoke) => invoke.stageId)).toEqual(['slow2']);
    result = ok(race, result.state, 'slow2:1:0:1', { won: 'slow' });
    expect(result.state).toMatchObject({ status: 'succeeded', result: [{ won: 'slow' }] });
  });
});
