/**
 * `whiskflow status`/`logs` of a streaming run: derived from its checkpointed context, with no
 * per-task documents written. Checked on what users see (describeRun) and on the moments the
 * context lags the head.
 */
import { randomUUID } from 'node:crypto';
import { describeRun } from '../../../../lib/runs/run-view';
import { MemoryBroker, MemoryEventStream, startStreamRun, type StreamingEngines } from '../../../../lib/runtimes/streaming';
import { ContextStore } from '../../../../lib/runtimes/streaming/context-store';
import { streamViewRecords } from '../../../../lib/runtimes/streaming/run-view-source';
import { compileWorkflow } from '../../../../lib/model/compile';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type RunDoc } from '../../../../lib/store/run-documents';
import { FakePlatform } from '../../../helpers/streaming/fake-platform';
import { engines, finishedRun } from '../../../helpers/streaming/engines';

const workflow = parseWorkflow(`
name: viewed
stages:
  - id: flaky
    kind: task
    action: flaky
    retry: { maxAttempts: 2, backoff: { initialMs: 1, multiplier: 1, maxMs: 1 } }
  - id: route
    kind: choice
    rules:
      - when: { path: $.go, equals: true }
        next: fan
    default: stop
  - id: fan
    kind: map
    items: $.items
    action: double
    concurrency: 2
  - id: stop
    kind: succeed
`);

describe('streaming run view', () => {
  const running: StreamingEngines[] = [];
  afterEach(async () => {
    await Promise.allSettled(running.splice(0).map((engine) => engine.stop()));
  });

  it('shows every stage visit in order, each attempt with its activation and each outcome, from the context alone', async () => {
    const store = new MemoryRunStore();
    let flakyCalls = 0;
    const platform = new FakePlatform({
      flaky: () => (++flakyCalls === 1 ? { error: 'first attempt fails' } : { result: { go: true, items: [1, 2, 3] } }),
      double: (params) => ({ result: (params.value as number) * 2 }),
    });
    const stream = new MemoryEventStream(new MemoryBroker(2));
    const topics = { completions: `c-${randomUUID()}`, orchestration: `o-${randomUUID()}` };
    running.push(await engines({ stream, store, platform, workflows: [workflow], consumer: 'view', topics }));

    const runId = await startStreamRun(stream, { workflow: 'viewed', input: {}, topic: topics.completions });
    const head = await finishedRun(store, runId);
    expect(head.status).toBe('succeeded');

    // Only the head and the context are stored: no stage, invoke or result documents.
    expect(await store.listByPrefix(docIds.stagesPrefix(runId))).toEqual([]);
    expect(await store.listByPrefix(docIds.resultsPrefix(runId))).toEqual([]);
    expect(await store.listByPrefix(docIds.invokesPrefix(runId))).toEqual([]);

    const view = await describeRun(store, runId);
    expect(view?.stages.map((stage) => [stage.position, stage.stageId, stage.taskCount, stage.completed, stage.failed])).toEqual([
      [0, 'flaky', 1, 1, 0], [1, 'route', 0, 0, 0], [2, 'fan', 3, 3, 0], [3, 'stop', 0, 0, 0],
    ]);
    const flaky = view?.stages[0]?.tasks[0];
    const flakyActivations = platform.invocations.filter((call) => call.action === 'flaky').map((call) => call.activationId);
    expect(flaky?.attempts.map((attempt) => [attempt.attempt, attempt.activationId])).toEqual([[1, flakyActivations[0]], [2, flakyActivations[1]]]);
    expect(flaky?.outcome).toMatchObject({ ok: true, attempt: 2, activationId: flakyActivations[1] });
    const fan = view?.stages[2];
    expect(fan?.tasks.map((task) => task.index)).toEqual([0, 1, 2]);
    expect(fan?.tasks.map((task) => task.outcome?.activationId).sort()).toEqual(platform.invocations.filter((call) => call.action === 'double').map((call) => call.activationId).sort());
    expect(fan?.endedAt).toBeGreaterThanOrEqual(fan?.startedAt ?? Infinity);
    expect(view?.progress).toEqual({ done: 4, total: 4 });

    // A status (no task details) has the same stages and outcomes, and builds no attempts.
    const status = await describeRun(store, runId, false);
    expect(status?.stages.map((stage) => [stage.position, stage.stageId, stage.completed])).toEqual(view?.stages.map((stage) => [stage.position, stage.stageId, stage.completed]));
    expect(status?.progress).toEqual({ done: 4, total: 4 });
    expect(status?.stages.flatMap((stage) => stage.tasks.flatMap((task) => task.attempts))).toEqual([]);
    expect((await streamViewRecords(store, head, false))?.invokes).toEqual([]);
    expect((await streamViewRecords(store, head))?.invokes).toHaveLength(5);
    await stream.close();
  });

  it('waits for the checkpoint that finished the run when the head is already finished', async () => {
    const store = new MemoryRunStore();
    const contexts = new ContextStore(store);
    const runId = `lagging-${randomUUID()}`;
    const state = { runId, workflow: { name: 'w', version: '1' }, status: 'running' as const, input: null, startedAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), threads: {}, visits: {}, tasks: {}, seenEventIds: [] };
    const base = { type: 'stream-run' as const, runId, workflow: compileWorkflow(workflow), timers: {}, triggers: {}, stageVisits: {} };
    const first = await contexts.save({ ...base, state }, undefined);
    const head: RunDoc = { type: 'run', runId, workflow: 'w', input: null, status: 'succeeded', startedAt: 0, endedAt: 1 };

    const finishing = new Promise<void>((resolve) => setTimeout(() => {
      const finished = { ...state, status: 'succeeded' as const, visits: { stop: 1 } };
      const stageVisits = { 'stop:1': { position: 0, stageId: 'stop', taskCount: 0, startedAt: 1 } };
      void contexts.save({ ...base, state: finished, stageVisits }, first).then(() => resolve());
    }, 120));
    const records = await streamViewRecords(store, { ...head, engine: 'stream' } as RunDoc);
    await finishing;
    expect(records?.stages.map((stage) => stage.stageId)).toEqual(['stop']);
  });

  it('falls back to the documents of a run checkpointed before views were derived', async () => {
    const store = new MemoryRunStore();
    const contexts = new ContextStore(store);
    const runId = `legacy-${randomUUID()}`;
    const state = { runId, workflow: { name: 'w', version: '1' }, status: 'succeeded' as const, input: null, startedAt: new Date(0).toISOString(), updatedAt: new Date(0).toISOString(), threads: {}, visits: { only: 1 }, tasks: {}, seenEventIds: [] };
    await contexts.save({ type: 'stream-run', runId, workflow: compileWorkflow(workflow), timers: {}, triggers: {}, state }, undefined);
    await store.createOnly(docIds.run(runId), { type: 'run', runId, workflow: 'w', input: null, status: 'succeeded', startedAt: 0, endedAt: 1, engine: 'stream' });
    await store.createOnly(docIds.stage(runId, 0), { type: 'stage', runId, position: 0, stageId: 'only', data: null, taskCount: 0, window: 0, startedAt: 0, claimedBy: 'stream' });
    const view = await describeRun(store, runId);
    expect(view?.stages.map((stage) => stage.stageId)).toEqual(['only']);
  });
});
