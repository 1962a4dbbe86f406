import { authenticate, recordRejection } from '../../../../lib/runtimes/native/event-auth';
import { readEventKey } from '../../../../lib/openwhisk/event-key';
import type { OrchestratorEvent, TaskContext } from '../../../../lib/runtimes/native/events';
import { withAttemptToken } from '../../../../lib/runtimes/native/invoker';
import { workflowSeal } from '../../../../lib/events/event-seal';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds } from '../../../../lib/store/run-documents';

const KEY = 'deployment-key';
const task: TaskContext = { runId: 'run-1', workflow: 'wf', position: 1, index: 0, attempt: 1, trigger: 'whiskflow-wf', stageId: 's' };
const completed = (context: TaskContext, eventId = 'e1'): OrchestratorEvent => ({ type: 'task.completed', eventId, task: context, result: { ok: true } });
const start: OrchestratorEvent = { type: 'run.started', eventId: 's1', workflow: 'wf', runId: 'run-2', input: {}, startKey: 'a-123' };

describe('which events the orchestrator accepts', () => {
  it('accepts a completion carrying its attempt\'s token, on its own workflow\'s trigger', () => {
    expect(authenticate(completed(withAttemptToken(task, KEY)), { eventKey: KEY, workflow: 'wf' })).toEqual({ accepted: true });
  });

  it('refuses a completion without a token, with another attempt\'s, or for attempts never started', () => {
    const verdicts = [
      authenticate(completed(task), { eventKey: KEY, workflow: 'wf' }),
      authenticate(completed({ ...task, token: 'forged' }), { eventKey: KEY, workflow: 'wf' }),
      ...[7, 0, -5].map((attempt) => authenticate(completed({ ...withAttemptToken(task, KEY), attempt }), { eventKey: KEY, workflow: 'wf' })),
    ];
    for (const verdict of verdicts) expect(verdict).toMatchObject({ accepted: false, reason: expect.stringContaining('token') });
  });

  it('refuses a completion of one workflow arriving on another\'s trigger', () => {
    expect(authenticate(completed(withAttemptToken(task, KEY)), { eventKey: KEY, workflow: 'other' }))
      .toMatchObject({ accepted: false, reason: expect.stringContaining("workflow 'wf' arrived on the trigger of workflow 'other'") });
  });

  it('accepts a start only with the seal of the workflow and definition it names', () => {
    const definition = { name: 'wf', stages: [] };
    expect(authenticate(start, { eventKey: KEY, workflow: 'wf', seal: workflowSeal(KEY, 'wf') })).toEqual({ accepted: true });
    expect(authenticate(start, { eventKey: KEY, workflow: 'wf', definition, seal: workflowSeal(KEY, 'wf', definition) })).toEqual({ accepted: true });
    // A payload that renames the workflow or brings its own definition keeps the trigger's seal.
    expect(authenticate(start, { eventKey: KEY, workflow: 'eo', seal: workflowSeal(KEY, 'wf') })).toMatchObject({ accepted: false });
    expect(authenticate(start, { eventKey: KEY, workflow: 'wf', definition, seal: workflowSeal(KEY, 'wf') })).toMatchObject({ accepted: false });
    expect(authenticate(start, { eventKey: KEY, workflow: 'wf' })).toMatchObject({ accepted: false, reason: expect.stringContaining('seal') });
  });

  it('refuses everything when the deployment has no key, saying how to get one', () => {
    expect(authenticate(completed(withAttemptToken(task, KEY)), { workflow: 'wf' })).toMatchObject({ accepted: false, reason: expect.stringContaining('whiskflowEventKey') });
  });

  it('counts a refused completion once per event id, and claims a refused start\'s key so that the sweep does not start it', async () => {
    const store = new MemoryRunStore();
    await recordRejection(store, completed(task, 'x'), 'no token');
    await recordRejection(store, completed(task, 'x'), 'no token');
    await recordRejection(store, completed(task, 'y'), 'no token');
    expect(await store.listByPrefix(docIds.rejectedPrefix('run-1'))).toHaveLength(2);
    await recordRejection(store, completed({ ...task, runId: '../../etc' }, 'z'), 'no token');
    expect(await store.listByPrefix('rejected/')).toHaveLength(2);
    await recordRejection(store, start, 'no seal');
    expect(await store.get(docIds.start('a-123'))).toMatchObject({ rejected: 'no seal', runId: '' });
  });

  it('reads the key bound to the orchestrator, and none when the runtime is not deployed', async () => {
    const bound = { actions: { get: async () => ({ parameters: [{ key: 'whiskflowStore', value: {} }, { key: 'whiskflowEventKey', value: KEY }] }) } };
    expect(await readEventKey(bound)).toBe(KEY);
    const missing = { actions: { get: async () => { throw Object.assign(new Error('not found'), { statusCode: 404 }); } } };
    expect(await readEventKey(missing)).toBeUndefined();
  });
});
