/** A callback task's heartbeat limit: carried by its invoke, and a missed heartbeat is the attempt's failure (retry, catch). */
import { heartbeatTimedOut, runStarted, taskCompleted } from '../../../lib/events/build';
import { HEARTBEAT_TIMEOUT_ERROR } from '../../../lib/events/types';
import { startRun, transition } from '../../../lib/core/transition';
import { InvalidWorkflowError } from '../../../lib/errors';
import { parseWorkflow } from '../../../lib/model/parse';
import { compile, invokes, T0 } from './helpers';

const approval = (extra: string) => compile(`
name: a
stages:
  - id: ask
    kind: task
    action: approve
    callback: true
    heartbeatSeconds: 30
    ${extra}
  - { id: gave-up, kind: succeed }
`);

describe('heartbeats of callback tasks', () => {
  it('the invoke carries the heartbeat limit in ms', () => {
    const started = startRun(approval(''), runStarted({ runId: 'r', workflow: 'a', input: {}, time: T0 }));
    expect(invokes(started.effects)).toEqual([expect.objectContaining({ taskKey: 'ask:1:0:1', callback: true, heartbeatMs: 30_000 })]);
  });

  it('a missed heartbeat fails the attempt with whiskflow.HeartbeatTimeout, which retry.errors retries', () => {
    const workflow = approval('retry: { maxAttempts: 2, errors: [whiskflow.HeartbeatTimeout], backoff: { initialMs: 10 } }');
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'a', input: {}, time: T0 }));
    const missed = transition(workflow, started.state, heartbeatTimedOut({ runId: 'r', taskKey: 'ask:1:0:1', heartbeatMs: 30_000, time: T0 }));
    expect(missed.state.tasks['ask:1:0:1']).toMatchObject({ status: 'failed', error: { error: HEARTBEAT_TIMEOUT_ERROR, cause: 'no heartbeat within 30000 ms' } });
    const retry = missed.effects.find((effect) => effect.kind === 'retry-after');
    expect(retry?.kind === 'retry-after' && retry.then).toEqual([expect.objectContaining({ kind: 'invoke', taskKey: 'ask:1:0:2', heartbeatMs: 30_000 })]);
    // The report that comes after the attempt's heartbeat failure changes nothing.
    const late = transition(workflow, missed.state, taskCompleted({ runId: 'r', taskKey: 'ask:1:0:1', result: { ok: true }, time: T0, id: 'r/ask:1:0:1/failed' }));
    expect(late.effects).toEqual([]);
  });

  it('catch routes it like any failure', () => {
    const workflow = approval('catch: [{ errors: [whiskflow.HeartbeatTimeout], next: gave-up }]');
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'a', input: {}, time: T0 }));
    const missed = transition(workflow, started.state, heartbeatTimedOut({ runId: 'r', taskKey: 'ask:1:0:1', heartbeatMs: 30_000, time: T0 }));
    expect(missed.effects.find((effect) => effect.kind === 'finish')).toMatchObject({ status: 'succeeded', result: { error: { error: HEARTBEAT_TIMEOUT_ERROR, stageId: 'ask' } } });
  });

  it('heartbeatSeconds belongs to callback tasks only', () => {
    expect(() => parseWorkflow('name: a\nstages: [{ id: ask, kind: task, action: x, heartbeatSeconds: 5 }]')).toThrow(InvalidWorkflowError);
    expect(() => parseWorkflow('name: a\nstages: [{ id: ask, kind: task, action: x, heartbeatSeconds: 5 }]')).toThrow(/heartbeatSeconds.*callback tasks only/);
  });
});
