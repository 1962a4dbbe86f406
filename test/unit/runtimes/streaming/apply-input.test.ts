/**
 * The Condition Engine's pure core: what one input does to a run's context. No stream, no store:
 * each case feeds events and checks the outputs (orchestration events) and the timers kept.
 */
import { applyInput, applyStart, type Applied } from '../../../../lib/runtimes/streaming/apply-input';
import { timerFired, STREAM_EVENT_TYPES, type ConditionInput, type TaskInvokeEvent } from '../../../../lib/runtimes/streaming/orchestration-events';
import type { StreamRunContext } from '../../../../lib/runtimes/streaming/run-context';
import type { StreamTrigger } from '../../../../lib/runtimes/streaming/triggers';
import { runStarted, taskCompleted, taskFailed } from '../../../../lib/events/build';
import { EVENT_TYPES } from '../../../../lib/events/types';
import { compileWorkflow } from '../../../../lib/model/compile';
import { parseWorkflow } from '../../../../lib/model/parse';
import { fixtureWorkflow } from '../../../helpers/fixtures';

const options = { completionTopic: 'completions' };
const at = (ms: number): string => new Date(Date.parse('2026-01-01T00:00:00.000Z') + ms).toISOString();

function changed(applied: Applied): Extract<Applied, { kind: 'changed' }> {
  if (applied.kind !== 'changed') throw new Error(`expected a change, got: ${applied.reason}`);
  return applied;
}

const invokes = (applied: Applied): TaskInvokeEvent[] =>
  applied.kind === 'changed' ? applied.outputs.filter((event): event is TaskInvokeEvent => event.type === STREAM_EVENT_TYPES.taskInvoke) : [];

function start(workflowYaml: string, input: unknown, triggers: StreamTrigger[] = []): { context: StreamRunContext; applied: Applied } {
  const workflow = compileWorkflow(parseWorkflow(workflowYaml));
  const applied = changed(applyStart(undefined, runStarted({ runId: 'r1', workflow: workflow.name, input: input as never, time: at(0) }), { workflow, triggers }, options));
  return { context: applied.context, applied };
}

function feed(context: StreamRunContext, ...inputs: ConditionInput[]): { context: StreamRunContext; results: Applied[] } {
  const results: Applied[] = [];
  for (const input of inputs) {
    const applied = applyInput(context, input, options);
    results.push(applied);
    if (applied.kind === 'changed') context = applied.context;
  }
  return { context, results };
}

describe('applyStart / applyInput', () => {
  const mapreduce = compileWorkflow(fixtureWorkflow('mapreduce'));

  it('starts every element of a map with deterministic invoke ids that carry the completion topic', () => {
    const applied = changed(applyStart(undefined, runStarted({ runId: 'r1', workflow: 'mapreduce', input: { chunks: [[1], [2]] }, time: at(0) }), { workflow: mapreduce, triggers: [] }, options));
    expect(invokes(applied).map((event) => [event.id, event.data.taskKey, event.data.completionTopic])).toEqual([
      ['r1/sum:1:0:1/invoke', 'sum:1:0:1', 'completions'],
      ['r1/sum:1:1:1/invoke', 'sum:1:1:1', 'completions'],
    ]);
  });

  it('a second run.started for an existing run changes nothing', () => {
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x }', {});
    const again = applyStart(context, runStarted({ runId: 'r1', workflow: 'w', input: {}, time: at(5) }), { workflow: context.workflow, triggers: [] }, options);
    expect(again.kind).toBe('unchanged');
  });

  it('re-applying the same events to the same checkpoint yields the same outputs (what crash recovery relies on)', () => {
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x }\n  - { id: b, kind: task, action: y }', {});
    const event = taskCompleted({ runId: 'r1', taskKey: 'a:1:0:1', result: { n: 1 }, time: at(10) });
    const first = applyInput(context, event, options);
    const second = applyInput(context, event, options);
    expect(second).toEqual(first);
    expect(invokes(first).map((invoke) => invoke.id)).toEqual(['r1/b:1:0:1/invoke']);
    // Once checkpointed, the same event is a duplicate.
    expect(applyInput(changed(first).context, event, options).kind).toBe('unchanged');
  });

  it('keeps a task timeout as a durable timer and applies it once when it fires', () => {
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x, timeout: 1000 }', {});
    expect(Object.values(context.timers).map((timer) => [timer.id, timer.due])).toEqual([['timeout:a:1:0:1', at(1000)]]);
    const fired = timerFired({ runId: 'r1', timerId: 'timeout:a:1:0:1', time: at(1005) });
    const { context: after, results } = feed(context, fired, fired);
    expect(results.map((result) => result.kind)).toEqual(['changed', 'unchanged']);
    expect(after.state.status).toBe('failed');
    expect(after.state.error).toMatchObject({ error: 'whiskflow.Timeout', stageId: 'a' });
    expect(after.timers).toEqual({});
    const outputs = changed(results[0] as Applied).outputs.map((event) => event.type);
    expect(outputs).toContain(EVENT_TYPES.runFinished);
  });

  it('a timeout that fires after the task completed changes nothing but drops the timer', () => {
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x, timeout: 1000 }\n  - { id: b, kind: task, action: y }', {});
    const { context: after, results } = feed(
      context,
      taskCompleted({ runId: 'r1', taskKey: 'a:1:0:1', result: {}, time: at(10) }),
      timerFired({ runId: 'r1', timerId: 'timeout:a:1:0:1', time: at(1001) }),
    );
    expect(invokes(results[1] as Applied)).toEqual([]);
    expect(after.state.status).toBe('running');
    expect(after.timers).toEqual({});
  });

  it('holds a retry back in a timer and invokes the next attempt when it fires', () => {
    const { context } = start('name: w\nstages:\n  - id: a\n    kind: task\n    action: x\n    retry: { maxAttempts: 2, backoff: { initialMs: 500 } }', {});
    const failed = taskFailed({ runId: 'r1', taskKey: 'a:1:0:1', error: { error: 'Boom' }, time: at(10) });
    const { context: waiting, results } = feed(context, failed);
    expect(invokes(results[0] as Applied)).toEqual([]);
    expect(Object.values(waiting.timers).map((timer) => [timer.id, timer.due])).toEqual([['retry:a:1:0:2', at(510)]]);
    const { results: fired } = feed(waiting, timerFired({ runId: 'r1', timerId: 'retry:a:1:0:2', time: at(511) }));
    expect(invokes(fired[0] as Applied).map((invoke) => invoke.data.taskKey)).toEqual(['a:1:0:2']);
  });

  it('fires a k-of-n stream trigger once, as an invoke of its action with the results', () => {
    const trigger: StreamTrigger = {
      id: 'preview', workflow: 'mapreduce', stageIds: ['sum'],
      condition: { kind: 'threshold', k: 2, of: 3 },
      action: { action: 'preview', params: { mode: 'fast' } },
    };
    const applied = changed(applyStart(undefined, runStarted({ runId: 'r1', workflow: 'mapreduce', input: { chunks: [[1], [2], [3]] }, time: at(0) }), { workflow: mapreduce, triggers: [trigger] }, options));
    const done = (index: number, sum: number) => taskCompleted({ runId: 'r1', taskKey: `sum:1:${index}:1`, result: { sum }, time: at(10 + index) });
    const { results } = feed(applied.context, done(2, 3), done(2, 3), done(0, 1), done(1, 2));
    const previews = results.flatMap((result) => invokes(result)).filter((invoke) => invoke.data.action === 'preview');
    expect(previews).toHaveLength(1);
    expect(previews[0]?.data.params).toEqual({ mode: 'fast', results: [{ sum: 1 }, { sum: 3 }] });
  });

  it('fires a timeout trigger from its durable timer when a stage never reports', () => {
    const trigger: StreamTrigger = {
      id: 'alert', workflow: 'w', stageIds: ['a'],
      condition: { kind: 'timeout', afterMs: 2000, onTimeout: 'fail', condition: { kind: 'join', expected: 1 } },
      action: { action: 'never-called' },
      onFail: { action: 'alert' },
    };
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x }', {}, [trigger]);
    expect(context.timers['trigger:alert']?.due).toBe(at(2000));
    const { results } = feed(context, timerFired({ runId: 'r1', timerId: 'trigger:alert', time: at(2001) }));
    expect(invokes(results[0] as Applied).map((invoke) => [invoke.data.action, invoke.data.params])).toEqual([
      ['alert', { reason: 'no decision within 2000 ms' }],
    ]);
  });

  it('starts nothing for a task event of a stage the run is not parked at', () => {
    const { context } = start('name: w\nstages:\n  - { id: a, kind: task, action: x }', {});
    const other = taskCompleted({ runId: 'r1', taskKey: 'zzz:1:0:1', result: {}, time: at(1) });
    const applied = applyInput(context, other, options);
    // A task the run never started is remembered (so it stays a no-op) and starts nothing.
    expect(invokes(applied)).toEqual([]);
  });
});
