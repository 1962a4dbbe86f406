import type { Json } from '../../../../lib/model/json';
import { parseEvent, taskOutcomeEvent, taskOutcomeOf, toPayload, type TaskContext } from '../../../../lib/runtimes/native/events';

const attempt: TaskContext = { runId: 'r1', workflow: 'wf', position: 2, index: 7, attempt: 1, trigger: 'wf-trigger', stageId: 'map', token: 'tok' };
const keyed: TaskContext = { ...attempt, taskKey: 's2.k' };

describe('taskOutcomeOf (the conductor applies its own completion)', () => {
  // The conductor skips the CloudEvent round trip; the orchestrator must see the same event either way.
  it.each<[string, TaskContext, { result: Json } | { error: Json }, string | undefined]>([
    ['a completion', attempt, { result: { sum: 3, items: [1, 'a', null] } }, 'act-1'],
    ['a completion with no output', attempt, { result: {} }, undefined],
    ['a completion of a keyed task', keyed, { result: { ok: true } }, 'act-2'],
    ['a failure given as text', attempt, { error: 'boom' }, 'act-3'],
    ['a failure already a task error', keyed, { error: { error: 'whiskflow.Timeout', cause: 'too slow', action: 'a' } }, undefined],
    ['a failure given as an object', attempt, { error: { code: 7, message: 'no' } }, 'act-4'],
  ])('%s is the event parsed from the fired CloudEvent', (_name, task, outcome, activationId) => {
    expect(taskOutcomeOf(task, outcome, activationId)).toEqual(parseEvent(toPayload(taskOutcomeEvent(task, outcome, activationId)), task.workflow));
  });
});
