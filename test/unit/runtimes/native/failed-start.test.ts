import { EntityNotFoundError, InvalidWorkflowError, ThrottledError } from '../../../../lib/errors';
import { recordFailedStart } from '../../../../lib/runtimes/native/failed-start';
import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import type { OrchestratorEvent } from '../../../../lib/runtimes/native/events';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type RunDoc, type StartDoc } from '../../../../lib/store/run-documents';

type Start = Extract<OrchestratorEvent, { type: 'run.started' }>;
const start = (extra: Partial<Start> = {}): Start => ({ type: 'run.started', eventId: 'e1', workflow: 'wf', runId: 'r1', input: { a: 1 }, ...extra });
const ctx = (store: MemoryRunStore) => ({ store, activationId: 'act-1', now: () => 1000 });

describe('a refused start recorded as a failed run', () => {
  it('records an invalid definition with its cause under the run id of the start', async () => {
    const store = new MemoryRunStore();
    const runId = await recordFailedStart(ctx(store), start(), new InvalidWorkflowError('$.stages[0]', 1, 'a stage'));
    expect(runId).toBe('r1');
    const run = await store.get<RunDoc>(docIds.run('r1'));
    expect(run).toMatchObject({
      runId: 'r1', workflow: 'wf', input: { a: 1 }, status: 'failed', startedAt: 1000, endedAt: 1000,
      failure: { error: 'whiskflow.InvalidWorkflow', cause: 'workflow $.stages[0]: a stage (got 1)', activationId: 'act-1' },
    });
  });

  it('gives a start that names no run the run id of its start key, so that a second handling finds it answered', async () => {
    const store = new MemoryRunStore();
    const first = await recordFailedStart(ctx(store), start({ startKey: 'a-x', runId: 'fresh-1' }), new EntityNotFoundError('workflow', 'wf'));
    const second = await recordFailedStart(ctx(store), start({ startKey: 'a-x', runId: 'fresh-2' }), new EntityNotFoundError('workflow', 'wf'));
    expect(first).toBe('fresh-1');
    expect(second).toBeUndefined();
    expect((await store.get<StartDoc>(docIds.start('a-x')))?.runId).toBe('fresh-1');
    expect((await store.get<RunDoc>(docIds.run('fresh-1')))?.failure?.error).toBe('whiskflow.NotFound');
    expect(await store.get(docIds.run('fresh-2'))).toBeUndefined();
  });

  it('records nothing for a passing failure, which the sweep fires again', async () => {
    const store = new MemoryRunStore();
    expect(await recordFailedStart(ctx(store), start(), new ThrottledError('busy', 100))).toBeUndefined();
    expect(await store.get(docIds.run('r1'))).toBeUndefined();
  });

  it('never overwrites a run that began, and a later start of a refused one leaves it failed', async () => {
    const store = new MemoryRunStore();
    await store.ensureReady();
    const workflow = parseWorkflow('name: wf\nstages:\n  - { id: only, kind: task, action: work }\n');
    const invoker = { start: jest.fn(async () => 'task-act'), scheduleTimeout: jest.fn(async () => 'timer-act') };
    const orchestrator = { store, invoker, namespace: '_', activationId: 'act-2' };
    await handleEvent(orchestrator as never, { ...start({ runId: 'began' }), definition: workflow });
    expect(await recordFailedStart(ctx(store), start({ runId: 'began' }), new InvalidWorkflowError('$', 1, 'x'))).toBeUndefined();
    expect((await store.get<RunDoc>(docIds.run('began')))?.status).toBe('running');

    await recordFailedStart(ctx(store), start({ runId: 'refused' }), new InvalidWorkflowError('$', 1, 'x'));
    expect(await handleEvent(orchestrator as never, { ...start({ runId: 'refused' }), definition: workflow })).toEqual({ outcome: 'duplicate', runId: 'refused' });
    expect((await store.get<RunDoc>(docIds.run('refused')))?.status).toBe('failed');
  });
});
