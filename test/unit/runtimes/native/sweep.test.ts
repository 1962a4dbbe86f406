/** How the sweep reads a task's outcome from activation records, and which tasks it leaves alone. */
import { parseEvent } from '../../../../lib/runtimes/native/events';
import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import { sweepRuns } from '../../../../lib/runtimes/native/sweep';
import { parseWorkflow } from '../../../../lib/model/parse';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';
import type { LostStartClient } from '../../../../lib/runtimes/native/lost-starts';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type InvokeDoc, type ResultDoc, type RunDoc, type StageDoc, type WorkflowDoc } from '../../../../lib/store/run-documents';
import type { JsonObject } from '../../../../lib/model/json';
import { sleep } from '../../../helpers/until';

const NOW = 1_000_000;
const conductor = (logs: string[], result: object) => ({ name: 'task', logs, annotations: [{ key: 'conductor', value: true }], response: { success: !('error' in result), result } });
const action = (result: object, success = !('error' in result)) => ({ name: 'user', logs: [], annotations: [], response: { success, status: success ? 'success' : 'application error', result } });

async function seededStore(tasks: { index: number; attempt?: number; activationId?: string; invokedAt?: number; done?: boolean }[], runStatus: RunDoc['status'] = 'running') {
  const store = new MemoryRunStore();
  await store.createOnly(docIds.workflow('wf'), { type: 'workflow', name: 'wf', trigger: 'whiskflow-wf', selfReporting: [], deployedAt: 0, definition: { name: 'wf', stages: [] } } as unknown as WorkflowDoc);
  // As the orchestrator writes a head: it names the trigger the run's tasks report to.
  await store.createOnly(docIds.run('r1'), { type: 'run', runId: 'r1', workflow: 'wf', input: null, status: runStatus, startedAt: 0, trigger: 'whiskflow-wf' } as RunDoc);
  await store.createOnly(docIds.stage('r1', 0), { type: 'stage', runId: 'r1', position: 0, stageId: 'm', data: null, taskCount: tasks.length, window: tasks.length, startedAt: 0 } satisfies StageDoc);
  for (const task of tasks) {
    const attempt = task.attempt ?? 1;
    const invoke: InvokeDoc = { type: 'invoke', runId: 'r1', position: 0, index: task.index, attempt, claimedAt: task.invokedAt ?? 0 };
    if (task.activationId) Object.assign(invoke, { activationId: task.activationId, invokedAt: task.invokedAt ?? 0 });
    await store.createOnly(docIds.invoke('r1', 0, task.index, attempt), invoke);
    if (task.done) await store.createOnly(docIds.result('r1', 0, task.index, tasks.length), { type: 'result', runId: 'r1', position: 0, index: task.index, attempt, ok: true, completedAt: 0 });
  }
  return store;
}

function fakeClient(records: Record<string, object>) {
  const fired: { name: string; params: Record<string, unknown> }[] = [];
  const client: LostStartClient = {
    // No triggers to list: lost run starts are tested in lost-starts.test.ts.
    triggers: { invoke: async ({ name, params }) => { fired.push({ name, params: params as Record<string, unknown> }); return {}; }, list: async () => [], get: async () => { throw Object.assign(new Error('not found'), { statusCode: 404 }); } },
    actions: { invoke: async () => ({}) as { activationId: string } }, // never read: nothing is redelivered
    activations: {
      get: async ({ name }) => {
        const record = records[name];
        if (!record) throw Object.assign(new Error('not found'), { statusCode: 404 });
        return record;
      },
      // No trigger activations: lost run starts are tested in lost-starts.test.ts.
      list: async () => [],
    },
  };
  return { client, fired };
}

describe('sweepRuns', () => {
  it('fires the user action\'s outcome from the conductor composition: its result, or its error', async () => {
    const store = await seededStore([{ index: 0, activationId: 'c0' }, { index: 1, activationId: 'c1' }]);
    const { client, fired } = fakeClient({
      c0: conductor(['c0-1', 'a0', 'c0-2'], { reported: 'task.completed' }), a0: action({ sum: 3 }),
      c1: conductor(['c1-1', 'a1', 'c1-2'], { reported: 'task.failed' }), a1: action({ error: 'bad input' }),
    });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
    expect(report.redelivered.map((item) => [item.index, item.outcome, item.activationId])).toEqual([[0, 'completed', 'a0'], [1, 'failed', 'a1']]);
    expect(fired.map((fire) => fire.name)).toEqual(['whiskflow-wf', 'whiskflow-wf']);
    const [completed, failed] = fired.map((fire) => fire.params);
    expect(completed).toMatchObject({ type: 'dev.whiskflow.task.completed', id: 'r1/0/0/1/completed', data: { result: { sum: 3 }, task: { runId: 'r1', position: 0, index: 0, attempt: 1, stageId: 'm', trigger: 'whiskflow-wf' } } });
    expect(failed).toMatchObject({ type: 'dev.whiskflow.task.failed', id: 'r1/0/1/1/failed', data: { error: { error: 'whiskflow.ActionFailed', cause: 'bad input' } } });
  });

  it('fails the attempt with the composition\'s error when the conductor died before running the action; reads a self-reporting action\'s own record', async () => {
    const store = await seededStore([{ index: 0, activationId: 'c0' }, { index: 1, activationId: 'self1' }]);
    const { client, fired } = fakeClient({
      c0: conductor(['c0-1'], { error: 'The action did not produce a valid response and exited unexpectedly.' }),
      self1: action({ total: 7 }),
    });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
    expect(report.redelivered.map((item) => [item.index, item.outcome])).toEqual([[0, 'failed'], [1, 'completed']]);
    expect(fired[0]!.params).toMatchObject({ data: { error: { error: 'whiskflow.ActionFailed', cause: 'The action did not produce a valid response and exited unexpectedly.' } } });
    expect(fired[1]!.params).toMatchObject({ data: { result: { total: 7 } } });
  });

  it('reads a continued attempt (its claim names the conductor run that continued the composition) from the component after that run; still running while the composition runs; lost when the composition ended first', async () => {
    const store = await seededStore([{ index: 0, activationId: 'run0' }, { index: 1, activationId: 'run1' }, { index: 2, activationId: 'run2' }]);
    const run = (cause: string) => ({ name: 'task', cause, logs: [], annotations: [], response: { success: true, result: { action: '/_/user' } } });
    const { client, fired } = fakeClient({
      run0: run('comp'), run1: run('comp'), run2: run('running'),
      // The composition ran one task, continued with a0 after run0, then ended after run1 without its component.
      comp: conductor(['c-1', 'a', 'run0', 'a0', 'run1'], { error: 'The action did not produce a valid response and exited unexpectedly.' }),
      a0: action({ sum: 5 }),
    });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
    expect(report.redelivered.map((item) => [item.index, item.outcome, item.activationId])).toEqual([[0, 'completed', 'a0'], [1, 'failed', 'run1']]);
    expect(report.stillRunning).toBe(1);
    expect(fired[0]!.params).toMatchObject({ data: { result: { sum: 5 } } });
    expect(fired[1]!.params).toMatchObject({ data: { error: { error: 'whiskflow.ActivationLost' } } });
  });

  it('leaves alone what is recorded, recent, still running, older attempts, finished runs; reports claims never invoked', async () => {
    const store = await seededStore([
      { index: 0, activationId: 'c0', done: true },
      { index: 1, activationId: 'c1', invokedAt: NOW - 10 },
      { index: 2, activationId: 'running' },
      { index: 3, activationId: 'old-attempt' },
      { index: 3, attempt: 2, activationId: 'running-retry' },
      { index: 4 },
    ]);
    const { client, fired } = fakeClient({ c0: conductor(['x', 'y', 'z'], {}), c1: conductor(['x', 'y', 'z'], {}), 'old-attempt': conductor(['x', 'y', 'z'], {}) });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
    expect(report).toEqual({ runsChecked: 1, redelivered: [], stillRunning: 2, neverInvoked: [{ runId: 'r1', position: 0, index: 4, attempt: 1 }], resumed: 0, childEnds: [], startsChecked: 0, restarted: [], startWindowCut: [], failedRedeliveries: 0, followUps: [], woken: [], expired: [] });
    expect(fired).toEqual([]);

    const finished = await seededStore([{ index: 0, activationId: 'c0' }], 'succeeded');
    expect(await sweepRuns({ store: finished, client, staleAfterMs: 0, now: () => NOW })).toMatchObject({ runsChecked: 0, redelivered: [] });
  });

  it('fails an attempt whose activation has no record and never will (invoked before the platform started, or long ago) with whiskflow.ActivationLost', async () => {
    const store = await seededStore([{ index: 0, activationId: 'gone', invokedAt: NOW - 5_000 }, { index: 1, activationId: 'running', invokedAt: NOW - 5_000 }]);
    const { client, fired } = fakeClient({});
    // Index 0 and 1 alike: both invoked before the platform restarted at NOW - 4000.
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, lostBefore: NOW - 4_000, now: () => NOW });
    expect(report.redelivered.map((item) => [item.index, item.outcome, item.activationId])).toEqual([[0, 'failed', 'gone'], [1, 'failed', 'running']]);
    expect(fired[0]!.params).toMatchObject({ type: 'dev.whiskflow.task.failed', data: { error: { error: 'whiskflow.ActivationLost' } } });
    // Without a restart, only after lostAfterMs.
    const young = await seededStore([{ index: 0, activationId: 'gone', invokedAt: NOW - 5_000 }]);
    expect(await sweepRuns({ store: young, client, staleAfterMs: 1_000, now: () => NOW })).toMatchObject({ redelivered: [], stillRunning: 1 });
    expect(await sweepRuns({ store: young, client, staleAfterMs: 1_000, lostAfterMs: 4_000, now: () => NOW })).toMatchObject({ redelivered: [{ index: 0, outcome: 'failed' }] });
  });

  it('fires to the trigger the run head names, also without the workflow\'s document (a wskdeploy deployment)', async () => {
    const store = await seededStore([{ index: 0, activationId: 'c0' }]);
    await store.remove(docIds.workflow('wf'));
    const head = (await store.get<RunDoc>(docIds.run('r1')))!;
    await store.replace({ ...head, trigger: 'whiskflow-wf-manifest' });
    const { client, fired } = fakeClient({ c0: conductor(['c0-1', 'a0', 'c0-2'], {}), a0: action({ sum: 3 }) });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
    expect(report.redelivered.map((item) => [item.index, item.outcome])).toEqual([[0, 'completed']]);
    expect(fired.map((fire) => fire.name)).toEqual(['whiskflow-wf-manifest']);
    expect(fired[0]!.params).toMatchObject({ data: { task: { trigger: 'whiskflow-wf-manifest' } } });
  });

  describe('attempts claimed but never invoked', () => {
    /** An orchestrator that dies between claiming task 1 of a 3-element map and invoking it. */
    class DyingInvoker extends RecordingInvoker {
      override async start(task: TaskStart): Promise<string> {
        if (task.context.index === 1) throw new Error('container lost');
        return super.start(task);
      }
    }

    async function stalledRun() {
      const store = new MemoryRunStore();
      const definition = parseWorkflow('name: wf\nstages:\n  - { id: each, kind: map, action: work, items: $.items }\n');
      await store.upsert(docIds.workflow('wf'), { type: 'workflow', name: 'wf', definition, trigger: 'whiskflow-wf', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
      await expect(handleEvent({ store, invoker: new DyingInvoker(), namespace: 'guest', activationId: 'o1' }, { type: 'run.started', eventId: 'e0', workflow: 'wf', runId: 'r1', input: { items: [10, 11, 12] } })).rejects.toThrow('container lost');
      const claim = await store.get<InvokeDoc>(docIds.invoke('r1', 0, 1, 1));
      expect(claim).toBeDefined();
      expect(claim!.activationId).toBeUndefined();
      return store;
    }

    it('starts them once, after the claim lease, with the task the orchestrator would have started', async () => {
      const store = await stalledRun();
      const { client } = fakeClient({});
      const invoker = new RecordingInvoker();
      const sweep = (claimLeaseMs: number) => sweepRuns({ store, client, staleAfterMs: 0, resume: { invoker, namespace: 'guest', activationId: 'sweeper', claimLeaseMs } });

      const withinLease = await sweep(3_600_000);
      expect(withinLease.neverInvoked).toEqual([{ runId: 'r1', position: 0, index: 1, attempt: 1 }]);
      expect(withinLease.resumed).toBe(0);
      expect(invoker.starts).toEqual([]);

      expect((await sweep(0)).resumed).toBe(1);
      expect(invoker.starts.map((start) => [start.action, start.params, start.context.index, start.context.attempt])).toEqual([['/guest/work', { value: 11 }, 1, 1]]);
      expect(await store.get<InvokeDoc>(docIds.invoke('r1', 0, 1, 1))).toMatchObject({ activationId: 'act-1', claimedBy: 'sweeper' });

      // Invoked now: a later sweep (or two at once) starts nothing more.
      const again = await Promise.all([sweep(0), sweep(0)]);
      expect(again.map((report) => report.resumed)).toEqual([0, 0]);
      expect(invoker.starts).toHaveLength(1);
    });

    it('takes a claim over at once, without waiting out the lease, when its claimer\'s activation has ended', async () => {
      // As after a kill of the embedded CouchDB: the orchestrator (or conductor) failed on the
      // store between a claim and its invoke, and ended; its activation has a record.
      const store = await stalledRun();
      const invoker = new RecordingInvoker();
      const sweep = (records: Record<string, object>) => sweepRuns({ store, client: fakeClient(records).client, staleAfterMs: 0, resume: { invoker, namespace: 'guest', activationId: 'sweeper' } });

      // No record: the claimer may still be retrying its invoke, the 310 s lease applies.
      expect((await sweep({})).resumed).toBe(0);
      expect(invoker.starts).toEqual([]);

      const ended = { name: 'orchestrator', logs: [], annotations: [], response: { success: false, status: 'application error', result: { error: 'store unreachable' } } };
      // Another activation's record says nothing about this claimer.
      expect((await sweep({ other: ended })).resumed).toBe(0);
      expect((await sweep({ o1: ended })).resumed).toBe(1);
      expect(invoker.starts.map((start) => [start.action, start.params, start.context.index, start.context.attempt])).toEqual([['/guest/work', { value: 11 }, 1, 1]]);
      expect(await store.get<InvokeDoc>(docIds.invoke('r1', 0, 1, 1))).toMatchObject({ activationId: 'act-1', claimedBy: 'sweeper' });
      // Taken over and invoked: nothing more starts.
      expect((await sweep({ o1: ended })).resumed).toBe(0);
      expect(invoker.starts).toHaveLength(1);
    });

    it('keeps the lease of a claim taken over since by a live taker', async () => {
      const store = await stalledRun();
      const claimId = docIds.invoke('r1', 0, 1, 1);
      const claim = (await store.get<InvokeDoc>(claimId))!;
      // Another sweeper took the claim over (and is invoking): its claim is not the ended claimer's.
      await store.replace({ ...claim, claimedBy: 'live-sweeper', claimedAt: Date.now(), claimToken: 'live' });
      const invoker = new RecordingInvoker();
      const ended = { name: 'orchestrator', logs: [], annotations: [], response: { success: true, result: {} } };
      const report = await sweepRuns({ store, client: fakeClient({ o1: ended }).client, staleAfterMs: 0, resume: { invoker, namespace: 'guest', activationId: 'sweeper' } });
      expect(report.resumed).toBe(0);
      expect(invoker.starts).toEqual([]);
    });

    it('lets only one of two concurrent sweeps take a claim over', async () => {
      const store = await stalledRun();
      const { client } = fakeClient({});
      const invoker = new RecordingInvoker();
      const reports = await Promise.all(['s1', 's2'].map((activationId) => sweepRuns({ store, client, staleAfterMs: 0, resume: { invoker, namespace: 'guest', activationId, claimLeaseMs: 0 } })));
      expect(reports.map((report) => report.resumed).sort()).toEqual([0, 1]);
      expect(invoker.starts).toHaveLength(1);
    });
  });

  describe('after a crash of the platform', () => {
    // As the local platform records, from its journal, an activation that was running when it stopped.
    const lost = (name: string, logs: string[] = [], conductorAnnotation = false) => ({
      name, logs, annotations: conductorAnnotation ? [{ key: 'conductor', value: true }] : [],
      response: { success: false, status: 'whisk internal error', result: { error: 'The activation was lost: the platform stopped while it ran, and it produced no response.' } },
    });

    it('fails an attempt whose activation was recorded as lost with whiskflow.ActivationLost, and uses the action\'s record when the action itself ended', async () => {
      const store = await seededStore([{ index: 0, activationId: 'c0' }, { index: 1, activationId: 'c1' }, { index: 2, activationId: 'self2' }, { index: 3, activationId: 'c3' }]);
      const { client, fired } = fakeClient({
        // The composition died in the user action.
        c0: lost('task', ['c0-1', 'a0'], true), a0: lost('user'),
        // The action ended before the crash; the second conductor run never came.
        c1: lost('task', ['c1-1', 'a1'], true), a1: action({ sum: 3 }),
        // A self-reporting action.
        self2: lost('user'),
        // The composition died before the action started.
        c3: lost('task', ['c3-1'], true),
      });
      const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
      expect(report.stillRunning).toBe(0);
      expect(report.redelivered.map((item) => [item.index, item.outcome, item.activationId])).toEqual([[0, 'failed', 'a0'], [1, 'completed', 'a1'], [2, 'failed', 'self2'], [3, 'failed', 'c3']]);
      for (const index of [0, 2, 3]) {
        expect(fired[index]!.params).toMatchObject({ type: 'dev.whiskflow.task.failed', data: { error: { error: 'whiskflow.ActivationLost', cause: expect.stringContaining('the platform stopped while it ran') } } });
      }
      expect(fired[1]!.params).toMatchObject({ type: 'dev.whiskflow.task.completed', data: { result: { sum: 3 } } });
    });

    it('fires again a recorded completion whose next element was never claimed, and the orchestrator then starts that element', async () => {
      const store = new MemoryRunStore();
      const definition = parseWorkflow('name: wf\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 1 }\n');
      await store.upsert(docIds.workflow('wf'), { type: 'workflow', name: 'wf', definition, trigger: 'whiskflow-wf', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
      const invoker = new RecordingInvoker();
      const context = { store, invoker, namespace: 'guest', activationId: 'o1' };
      await handleEvent(context, { type: 'run.started', eventId: 'e0', workflow: 'wf', runId: 'r1', input: { items: [10, 11, 12] } });
      expect(invoker.starts.map((start) => start.context.index)).toEqual([0]);
      // The orchestrator that handled element 0's completion recorded it, then died before claiming element 1.
      const stage = (await store.get<StageDoc>(docIds.stage('r1', 0)))!;
      await store.createOnly(docIds.result('r1', 0, 0, stage.taskCount), { type: 'result', runId: 'r1', position: 0, index: 0, attempt: 1, ok: true, result: { v: 10 }, completedAt: 0 } satisfies ResultDoc);
      const { client, fired } = fakeClient({});
      // Younger than staleAfterMs: left alone (the orchestrator may be on its way).
      expect((await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => -1 })).followUps).toEqual([]);
      const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
      expect(report.followUps).toEqual([{ runId: 'r1', position: 0, index: 0 }]);
      expect(fired[0]!.params).toMatchObject({ type: 'dev.whiskflow.task.completed', id: 'r1/each:1:0:1/completed', data: { runId: 'r1', stageId: 'each', taskKey: 'each:1:0:1', result: { v: 10 } } });
      await handleEvent(context, parseEvent(fired[0]!.params as JsonObject, 'wf'));
      expect(invoker.starts.map((start) => start.context.index)).toEqual([0, 1]);
      // Element 1 is claimed (in flight) now: nothing more to repair.
      expect((await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW })).followUps).toEqual([]);
    });

    it('fires again the completion before a choice whose orchestrator died before claiming what follows it', async () => {
      const store = new MemoryRunStore();
      const definition = parseWorkflow([
        'name: wf', 'stages:', '  - { id: step, kind: task, action: work }',
        '  - { id: again, kind: choice, rules: [ { when: { path: $.n, lt: 3 }, next: step } ], default: done }',
        '  - { id: done, kind: succeed }', '',
      ].join('\n'));
      await store.upsert(docIds.workflow('wf'), { type: 'workflow', name: 'wf', definition, trigger: 'whiskflow-wf', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
      const invoker = new RecordingInvoker();
      const context = { store, invoker, namespace: 'guest', activationId: 'o1' };
      await handleEvent(context, { type: 'run.started', eventId: 'e0', workflow: 'wf', runId: 'r1', input: { n: 0 } });
      // The orchestrator of step's completion recorded it and died before it claimed the next
      // transition (the choice is passed inside that transition: it has no document of its own).
      await store.createOnly(docIds.result('r1', 0, 0, 1), { type: 'result', runId: 'r1', position: 0, index: 0, attempt: 1, ok: true, result: { n: 1 }, completedAt: 0 } satisfies ResultDoc);
      const { client, fired } = fakeClient({});
      const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW });
      expect(report.followUps).toEqual([{ runId: 'r1', position: 0, index: 0 }]);
      await handleEvent(context, parseEvent(fired[0]!.params as JsonObject, 'wf'));
      expect(invoker.starts.map((start) => [start.context.position, start.params])).toEqual([[0, { n: 0 }], [1, { n: 1 }]]);
    });

    it('takes over claims made before the platform restarted at once, not after the claim lease', async () => {
      const store = new MemoryRunStore();
      const definition = parseWorkflow('name: wf\nstages:\n  - { id: each, kind: map, action: work, items: $.items }\n');
      await store.upsert(docIds.workflow('wf'), { type: 'workflow', name: 'wf', definition, trigger: 'whiskflow-wf', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
      class DyingInvoker extends RecordingInvoker {
        override async start(task: TaskStart): Promise<string> {
          if (task.context.index === 1) throw new Error('platform killed');
          return super.start(task);
        }
      }
      await expect(handleEvent({ store, invoker: new DyingInvoker(), namespace: 'guest', activationId: 'o1' }, { type: 'run.started', eventId: 'e0', workflow: 'wf', runId: 'r1', input: { items: [10, 11, 12] } })).rejects.toThrow('platform killed');
      const claim = (await store.get<InvokeDoc>(docIds.invoke('r1', 0, 1, 1)))!;
      await sleep(5);
      const { client } = fakeClient({});
      const invoker = new RecordingInvoker();
      const sweep = (lostBefore: number) => sweepRuns({ store, client, staleAfterMs: 0, lostBefore, resume: { invoker, namespace: 'guest', activationId: 'sweeper' } });
      // A claim made after the restart is some live orchestrator's: the usual lease applies.
      expect((await sweep(claim.claimedAt)).resumed).toBe(0);
      expect((await sweep(claim.claimedAt + 1)).resumed).toBe(1);
      expect(invoker.starts.map((start) => [start.context.index, start.context.attempt])).toEqual([[1, 1]]);
    });
  });

  it('fires due timeouts of event waits and callbacks, and missed heartbeats, once each; a callback\'s returned action is not its outcome', async () => {
    const store = await seededStore([]);
    const claim = (index: number, fields: Partial<InvokeDoc>): Promise<unknown> => store.createOnly(docIds.invoke('r1', 0, index, 1), {
      type: 'invoke', runId: 'r1', position: 0, index, attempt: 1, claimedAt: NOW - 5_000, activationId: `a${index}`, invokedAt: NOW - 5_000, ...fields,
    } satisfies InvokeDoc);
    await store.replace({ ...(await store.get<StageDoc>(docIds.stage('r1', 0)))!, taskCount: 6, window: 6 });
    await claim(0, { eventWait: true, deadline: NOW - 1, timeoutMs: 4_999 });
    await claim(1, { eventWait: true, deadline: NOW + 1_000, timeoutMs: 6_000 });
    await claim(2, { callbackToken: 'wf1.x', heartbeatMs: 1_000 });
    await claim(3, { callbackToken: 'wf1.y', heartbeatMs: 1_000 });
    await store.createOnly(docIds.heartbeat('r1', 0, 3, 1), { type: 'heartbeat', runId: 'r1', position: 0, index: 3, attempt: 1, at: NOW - 500, count: 2 });
    await claim(4, { callbackToken: 'wf1.z', deadline: NOW - 1, timeoutMs: 4_999 });
    await store.createOnly(docIds.result('r1', 0, 4, 6), { type: 'result', runId: 'r1', position: 0, index: 4, attempt: 1, ok: true, completedAt: NOW - 10 });
    await claim(5, { callbackToken: 'wf1.w' });
    const { client, fired } = fakeClient({ a5: action({ handedOn: true }) });
    const report = await sweepRuns({ store, client, staleAfterMs: 1_000, now: () => NOW, confirmWithinMs: 0 });
    expect(report.expired).toEqual([{ runId: 'r1', position: 0, index: 0, attempt: 1, limit: 'timeout' }, { runId: 'r1', position: 0, index: 2, attempt: 1, limit: 'heartbeat' }]);
    expect(report.redelivered).toEqual([]);
    expect(fired.map((fire) => fire.params)).toEqual([
      expect.objectContaining({ type: 'dev.whiskflow.task.timed-out', id: 'r1/0/0/1/timed-out', data: expect.objectContaining({ timeoutMs: 4_999 }) }),
      expect.objectContaining({ type: 'dev.whiskflow.task.failed', id: 'r1/0/2/1/failed', data: expect.objectContaining({ error: { error: 'whiskflow.HeartbeatTimeout', cause: 'no heartbeat within 1000 ms' } }) }),
    ]);
  });
});
