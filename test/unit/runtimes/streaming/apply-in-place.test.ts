/**
 * The Condition Engine applies a batch's events of one run with `ownsState`: the first change copies
 * the checkpoint's state, later ones write into that copy. It must reach exactly what applying each
 * event to a fresh copy reaches, and never touch the checkpoint a redelivered batch starts from again.
 */
import { applyInput, applyStart, type Applied, type ApplyOptions } from '../../../../lib/runtimes/streaming/apply-input';
import { timerFired, type ConditionInput, type OrchestrationEvent } from '../../../../lib/runtimes/streaming/orchestration-events';
import type { StreamRunContext } from '../../../../lib/runtimes/streaming/run-context';
import { runStarted, taskCompleted, taskFailed } from '../../../../lib/events/build';
import { compileWorkflow } from '../../../../lib/model/compile';
import { parseWorkflow } from '../../../../lib/model/parse';

const at = (ms: number): string => new Date(Date.parse('2026-01-01T00:00:00.000Z') + ms).toISOString();

const workflow = compileWorkflow(parseWorkflow(`
name: w
stages:
  - id: work
    kind: map
    items: $.items
    action: work
    concurrency: 3
    retry: { maxAttempts: 2, backoff: { initialMs: 100 } }
  - id: total
    kind: task
    action: total
    timeout: 5000
`));

function started(): StreamRunContext {
  const applied = applyStart(undefined, runStarted({ runId: 'r1', workflow: 'w', input: { items: [0, 1, 2, 3, 4, 5] }, time: at(0) }), { workflow, triggers: [] }, { completionTopic: 'c' });
  if (applied.kind !== 'changed') throw new Error(applied.reason);
  return applied.context;
}

/** The engine's loop: `inPlace` writes into the state after the first change, as condition-engine.ts does. */
function applyAll(checkpoint: StreamRunContext, inputs: readonly ConditionInput[], inPlace: boolean): { context: StreamRunContext; outputs: OrchestrationEvent[]; kinds: Applied['kind'][] } {
  let context = checkpoint;
  const options: ApplyOptions = { completionTopic: 'c', ownsState: false };
  const outputs: OrchestrationEvent[] = [];
  const kinds: Applied['kind'][] = [];
  for (const input of inputs) {
    const applied = applyInput(context, input, options);
    kinds.push(applied.kind);
    if (applied.kind !== 'changed') continue;
    context = applied.context;
    options.ownsState = inPlace && context.state !== checkpoint.state;
    outputs.push(...applied.outputs);
  }
  return { context, outputs, kinds };
}

const done = (index: number, attempt = 1, ms = 10 + index): ConditionInput =>
  taskCompleted({ runId: 'r1', taskKey: `work:1:${index}:${attempt}`, result: { index }, time: at(ms) });

describe('applying one run\'s batch in place', () => {
  const batch: ConditionInput[] = [
    done(1),
    done(1), // a duplicate
    taskFailed({ runId: 'r1', taskKey: 'work:1:0:1', error: { error: 'Boom' }, time: at(20) }),
    timerFired({ runId: 'r1', timerId: 'retry:work:1:0:2', time: at(130) }),
    done(2), done(0, 2, 140), done(3), done(4), done(5),
    timerFired({ runId: 'r1', timerId: 'timeout:total:1:0:1', time: at(6000) }),
  ];

  it('reaches the same context and outputs as copying the state for every event', () => {
    const copied = applyAll(started(), batch, false);
    const inPlace = applyAll(started(), batch, true);
    expect(inPlace.kinds).toEqual(copied.kinds);
    expect(inPlace.outputs).toEqual(copied.outputs);
    expect(inPlace.context).toEqual(copied.context);
    // The batch gets through a retry and the map's sliding window to the timeout of `total`.
    expect(copied.context.state.status).toBe('failed');
    expect(copied.kinds).toContain('unchanged');
  });

  it('leaves the checkpoint it started from as it was, so a redelivered batch yields the same again', () => {
    const checkpoint = started();
    const snapshot = JSON.parse(JSON.stringify(checkpoint)) as unknown;
    const first = applyAll(checkpoint, batch, true);
    expect(JSON.parse(JSON.stringify(checkpoint))).toEqual(snapshot);
    const again = applyAll(checkpoint, batch, true);
    expect(again.outputs).toEqual(first.outputs);
    expect(again.context).toEqual(first.context);
  });

  it('does not write into a state a timer left shared with the checkpoint', () => {
    // A retry timer fires first: the context changes (the timer is gone) but its state is the
    // checkpoint's, so the next event must still copy it.
    const failedOnce = applyAll(started(), [taskFailed({ runId: 'r1', taskKey: 'work:1:0:1', error: { error: 'Boom' }, time: at(20) })], false).context;
    const snapshot = JSON.parse(JSON.stringify(failedOnce)) as unknown;
    applyAll(failedOnce, [timerFired({ runId: 'r1', timerId: 'retry:work:1:0:2', time: at(130) }), done(1), done(2)], true);
    expect(JSON.parse(JSON.stringify(failedOnce))).toEqual(snapshot);
  });
});
