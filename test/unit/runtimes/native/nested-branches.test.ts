/**
 * Parallel branches of several stages in the native orchestrator (child runs), checked against the
 * pure core (test/helpers/simulate.ts), which the streaming engine runs: same output, same
 * failure, with every event duplicated and delivered in shuffled order, each copy handled by its
 * own activation (half of them with a cold warm cache).
 */
import { handleEvent, type OrchestratorContext, type RunHead } from '../../../../lib/runtimes/native/orchestrator';
import type { OrchestratorEvent } from '../../../../lib/runtimes/native/events';
import { describeRun, listRuns } from '../../../../lib/runs/run-view';
import { sweepRuns } from '../../../../lib/runtimes/native/sweep';
import type { TaskError } from '../../../../lib/events/types';
import { compileWorkflow } from '../../../../lib/model/compile';
import type { Json, JsonObject } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import type { Workflow } from '../../../../lib/model/workflow';
import type { LostStartClient } from '../../../../lib/runtimes/native/lost-starts';
import { GroupCommitStore } from '../../../../lib/store/group-commit';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type InvokeDoc, type RunDoc, type StageDoc, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { seededRandom, simulate, type FakeAction } from '../../../helpers/simulate';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';
import { exampleJson, exampleWorkflow } from '../../../helpers/fixtures';

const nested = exampleWorkflow('nested-branches');
const nestedInput = exampleJson('nested-branches/input.json');

/** One fake action: a result, or a failure (as the pure core's TaskError; the native engine gets the same object as the action's `error`). */
type Outcome = { result: Json } | { error: TaskError };
type Fake = (params: JsonObject) => Outcome;

/** The example's actions (examples/nested-branches/actions.js), plus two that fail. */
const fakes: Record<string, Fake> = {
  'nested/inc': (p) => ({ result: { v: (typeof p.v === 'number' ? p.v : 0) + 1 } }),
  'nested/square': (p) => ({ result: { value: (p.value as number) ** 2 } }),
  'nested/add': (p) => ({ result: { total: (p.results as { value: number }[]).reduce((sum, r) => sum + r.value, 0) } }),
  'nested/label': (p) => ({ result: { size: p.size ?? null, n: p.n ?? null } }),
  'nested/sumv': (p) => ({ result: { v: (p.value as { v: number }[]).reduce((sum, r) => sum + r.v, 0) } }),
  'nested/summarize': (p) => ({ result: { n: p.n ?? null, branches: p.branches ?? null } }),
  echo: (p) => ({ result: p }),
  breaks: () => ({ error: { error: 'Broken', cause: 'disk full' } }),
};

/** The same fakes for the pure core's simulation. */
const coreActions: Record<string, FakeAction> = Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, (params: JsonObject) => fake(params)]));

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

interface NativeRun {
  store: MemoryRunStore;
  invoker: RecordingInvoker;
  head: RunHead;
}

/**
 * Runs `workflow` natively to its end: every task started is completed by its fake, in rounds; with
 * `duplicate`, each event is delivered twice; each delivery is its own activation, every other one
 * on a fresh group-commit wrapper (a cold warm cache), and a round's deliveries run concurrently.
 */
async function runNative(workflow: Workflow, input: Json, options: { seed?: number; duplicate?: boolean } = {}): Promise<NativeRun> {
  const store = new MemoryRunStore();
  const invoker = new RecordingInvoker();
  const doc: WorkflowDoc = { type: 'workflow', name: workflow.name, definition: workflow, trigger: `whiskflow-${workflow.name}`, selfReporting: [], deployedAt: 0 };
  await store.upsert(docIds.workflow(workflow.name), doc);
  let activations = 0;
  const ctxFor = (copy: number): OrchestratorContext => ({
    store: copy % 2 === 0 ? store : new GroupCommitStore(store), invoker, namespace: 'guest', activationId: `orchestrator-${++activations}`,
  });
  const copies = options.duplicate ? 2 : 1;
  const random = seededRandom(options.seed ?? 1);
  const started: OrchestratorEvent = { type: 'run.started', eventId: 'e0', workflow: workflow.name, runId: 'run-1', input };
  await Promise.all(Array.from({ length: copies }, (_, copy) => handleEvent(ctxFor(copy), started)));
  for (let delivered = 0, rounds = 0; delivered < invoker.starts.length; rounds += 1) {
    if (rounds > 100) throw new Error('the run did not settle');
    const round = invoker.starts.slice(delivered);
    delivered = invoker.starts.length;
    const events = round.flatMap((start): OrchestratorEvent[] => {
      const outcome = fakes[start.action.replace(/^\/guest\//, '')]!(start.params);
      const common = { eventId: `${start.context.runId}/${start.context.position}/${start.context.index}/${start.context.attempt}`, task: start.context };
      const event: OrchestratorEvent = 'result' in outcome
        ? { type: 'task.completed', ...common, result: outcome.result, activationId: `done-${common.eventId}` }
        : { type: 'task.failed', ...common, error: outcome.error as unknown as Json, activationId: `failed-${common.eventId}` };
      return Array.from({ length: copies }, () => event);
    });
    await Promise.all(shuffle(events, random).map((event, copy) => handleEvent(ctxFor(copy), event)));
  }
  return { store, invoker, head: (await store.get<RunHead>(docIds.run('run-1')))! };
}

/** Every task attempt of every run (children included) was started at most once. */
function expectEachStartOnce(run: NativeRun): void {
  const keys = run.invoker.starts.map((start) => `${start.context.runId}/${start.context.position}/${start.context.index}/${start.context.attempt}`);
  expect(keys.length).toBeGreaterThan(0);
  expect(new Set(keys).size).toBe(keys.length);
}

const actionsStarted = (run: NativeRun) => run.invoker.starts.map((start) => start.action.replace(/^\/guest\//, '')).sort();

describe('native parallel stages with branches of several stages (child runs)', () => {
  const expected = { n: 3, branches: [{ v: 2 }, { total: 14 }, { size: 'big', n: 3 }, 1, { v: 3 }] };

  it('runs sequences, map→reduce, choice, a single task and a nested parallel stage as the pure core does', async () => {
    const core = simulate(compileWorkflow(nested), nestedInput, { actions: coreActions });
    expect(core.state.result).toEqual(expected);
    const run = await runNative(nested, nestedInput);
    expect(run.head).toMatchObject({ status: 'succeeded', output: expected });
    expectEachStartOnce(run);
    expect(actionsStarted(run)).toEqual([
      'nested/add', 'nested/inc', 'nested/inc', 'nested/inc', 'nested/inc', 'nested/inc', 'nested/inc', 'nested/label',
      'nested/square', 'nested/square', 'nested/square', 'nested/summarize', 'nested/sumv',
    ]);
    // The single-task branch is a task of the parallel stage itself; the others run as child runs.
    const fork = run.invoker.ofPosition(0).filter((start) => start.context.runId === 'run-1');
    expect(fork.map((start) => [start.context.index, start.action])).toEqual([[3, '/guest/nested/inc']]);
    expect(run.invoker.starts.find((start) => start.action === '/guest/nested/square')!.context.runId).toBe(docIds.childRun('run-1', 0, 1, 1));
    // The nested parallel stage's two-stage branch is a grandchild run.
    expect(run.invoker.starts.find((start) => start.action === '/guest/nested/inc' && start.context.runId.split('.').length === 3)!.context.runId)
      .toBe(docIds.childRun(docIds.childRun('run-1', 0, 4, 1), 0, 0, 1));
  });

  it('takes the choice\'s other way, which ends its branch with `succeed`', async () => {
    const input = { n: 1, items: [] };
    const core = simulate(compileWorkflow(nested), input, { actions: coreActions });
    const run = await runNative(nested, input);
    expect(run.head.output).toEqual(core.state.result);
    expect((run.head.output as { branches: Json[] }).branches).toEqual([{ v: 2 }, { total: 0 }, 1, 1, { v: 3 }]);
  });

  it.each([1, 2, 3, 4, 5, 6])('gives the same output with every event duplicated and reordered (seed %i)', async (seed) => {
    const run = await runNative(nested, nestedInput, { seed, duplicate: true });
    expect(run.head).toMatchObject({ status: 'succeeded', output: expected });
    expectEachStartOnce(run);
    expect(actionsStarted(run).filter((action) => action === 'nested/summarize')).toHaveLength(1);
    expect(run.invoker.starts).toHaveLength(13);
  });

  it('keeps child runs out of `runs` and shows them under the parallel stage in status and logs', async () => {
    const run = await runNative(nested, nestedInput);
    expect((await listRuns(run.store)).map((head) => head.runId)).toEqual(['run-1']);
    expect((await listRuns(run.store, { workflow: 'nested-branches' })).map((head) => head.runId)).toEqual(['run-1']);
    const status = (await describeRun(run.store, 'run-1', false))!;
    expect(status.stages[0]!.children).toEqual([0, 1, 2, 4].map((index) => ({ index, attempt: 1, runId: docIds.childRun('run-1', 0, index, 1), status: 'succeeded' })));
    const logs = (await describeRun(run.store, 'run-1'))!;
    const forkTasks = logs.stages[0]!.tasks;
    expect(forkTasks.map((task) => task.attempts[0]!.childRunId)).toEqual([0, 1, 2, undefined, 4].map((index) => (index === undefined ? undefined : docIds.childRun('run-1', 0, index, 1))));
    // The claim of a child run names the orchestrator activation that started it.
    expect(forkTasks[0]!.attempts[0]!.activationId).toMatch(/^orchestrator-/);
    const child = (await describeRun(run.store, docIds.childRun('run-1', 0, 1, 1)))!;
    expect(child.run).toMatchObject({ status: 'succeeded', output: { total: 14 }, parent: { runId: 'run-1', position: 0, index: 1, attempt: 1, stageId: 'fork' } });
    expect(child.stages.map((stage) => stage.stageId)).toEqual(['squares', 'sum-of-squares']);
  });
});

describe('native child runs that fail', () => {
  const failing = (withCatch: boolean) => parseWorkflow(`
name: failing-branch
stages:
  - id: fork
    kind: parallel
    resultPath: $.out
    ${withCatch ? 'catch: [ { errors: [Broken, Nope], next: recover, resultPath: $.problem } ]' : ''}
    branches:
      - stages:
          - { id: ok1, kind: task, action: echo, resultPath: $.ok1 }
          - { id: ok2, kind: task, action: echo }
      - stages:
          - { id: before, kind: task, action: echo }
          - { id: bad, kind: task, action: breaks }
          - { id: never, kind: task, action: echo }
  - { id: after, kind: task, action: echo }
  - { id: recover, kind: task, action: echo }
`);

  it('fails the run with the failing task\'s stage, error and activation when the parallel stage has no catch', async () => {
    const workflow = failing(false);
    const core = simulate(compileWorkflow(workflow), { x: 1 }, { actions: coreActions });
    const run = await runNative(workflow, { x: 1 });
    expect(core.state.error).toMatchObject({ error: 'Broken', stageId: 'bad' });
    expect(run.head.status).toBe('failed');
    const failedChild = docIds.childRun('run-1', 0, 1, 1);
    expect(run.head.failure).toMatchObject({ error: 'Broken', stageId: 'bad', activationId: `failed-${failedChild}/1/0/1` });
    expect(run.head.failure!.cause).toContain('disk full');
    expect(actionsStarted(run)).not.toContain('after');
    expect(run.invoker.starts.filter((start) => start.context.stageId === 'never')).toHaveLength(0);
    expect((await run.store.get<RunDoc>(docIds.run(failedChild)))!.status).toBe('failed');
  });

  it('names the failing task of a single-task branch as the failing stage, as the pure core does', async () => {
    const workflow = parseWorkflow(`
name: failing-single
stages:
  - id: fork
    kind: parallel
    branches:
      - stages: [ { id: fine, kind: task, action: echo } ]
      - stages: [ { id: broken, kind: task, action: breaks } ]
  - { id: after, kind: task, action: echo }
`);
    const core = simulate(compileWorkflow(workflow), { x: 1 }, { actions: coreActions });
    const run = await runNative(workflow, { x: 1 });
    expect(core.state.error).toMatchObject({ error: 'Broken', stageId: 'broken' });
    expect(run.head.status).toBe('failed');
    expect(run.head.failure).toMatchObject({ error: 'Broken', stageId: 'broken' });
    expect(actionsStarted(run)).not.toContain('after');
  });

  it.each([1, 2, 3])('routes the failure to the parallel stage\'s catch, once, with duplicated and reordered events (seed %i)', async (seed) => {
    const workflow = failing(true);
    const core = simulate(compileWorkflow(workflow), { x: 1 }, { actions: coreActions });
    const run = await runNative(workflow, { x: 1 }, { seed, duplicate: true });
    expect(run.head.status).toBe('succeeded');
    expectEachStartOnce(run);
    const recover = run.invoker.starts.filter((start) => start.context.stageId === 'recover');
    expect(recover).toHaveLength(1);
    expect(run.invoker.starts.filter((start) => start.context.stageId === 'after')).toHaveLength(0);
    // The same data as the pure core, but for the cause and activation id, which each engine words its own way.
    const withoutDetails = (output: Json) => ({ ...(output as JsonObject), problem: { error: ((output as JsonObject).problem as JsonObject).error, stageId: ((output as JsonObject).problem as JsonObject).stageId } });
    expect(withoutDetails(run.head.output!)).toEqual(withoutDetails(core.state.result!));
    expect(run.head.output).toMatchObject({ x: 1, problem: { error: 'Broken', stageId: 'bad', activationId: `failed-${docIds.childRun('run-1', 0, 1, 1)}/1/0/1` } });
  });

  const failStage = (withCatch: boolean) => parseWorkflow(`
name: fail-in-branch
stages:
  - id: fork
    kind: parallel
    ${withCatch ? 'catch: [ { next: recover, resultPath: $.problem } ]' : ''}
    branches:
      - stages: [ { id: fine, kind: task, action: echo } ]
      - stages:
          - id: check
            kind: choice
            rules: [ { when: { path: $.x, gt: 0 }, next: nope } ]
            default: okay
          - { id: nope, kind: fail, error: Nope, cause: x is positive }
          - { id: okay, kind: succeed }
  - { id: recover, kind: succeed }
`);

  it.each([true, false])('a `fail` stage in a branch fails the parallel stage as in the pure core (catch: %s)', async (withCatch) => {
    const workflow = failStage(withCatch);
    const core = simulate(compileWorkflow(workflow), { x: 1 }, { actions: coreActions });
    const run = await runNative(workflow, { x: 1 }, { seed: 7, duplicate: true });
    if (withCatch) {
      expect(run.head.status).toBe('succeeded');
      expect(run.head.output).toEqual(core.state.result);
      expect(run.head.output).toEqual({ x: 1, problem: { error: 'Nope', cause: 'x is positive', stageId: 'nope' } });
    } else {
      expect(run.head.status).toBe('failed');
      expect(run.head.failure).toEqual({ error: 'Nope', cause: 'x is positive', stageId: 'nope' });
      expect(core.state.error).toEqual({ error: 'Nope', cause: 'x is positive', stageId: 'nope' });
    }
  });

  it('succeeds when the choice avoids the `fail` stage (a branch without any task)', async () => {
    const workflow = failStage(false);
    const core = simulate(compileWorkflow(workflow), { x: 0 }, { actions: coreActions });
    const run = await runNative(workflow, { x: 0 });
    expect(run.head).toMatchObject({ status: 'succeeded', output: core.state.result });
    expect(run.head.output).toEqual([{ x: 0 }, { x: 0 }]);
  });
});

describe('the sweep and child runs', () => {
  const client = () => {
    const fired: { name: string; params: JsonObject }[] = [];
    const delivery: LostStartClient = {
      triggers: { invoke: async ({ name, params }) => { fired.push({ name, params: params as JsonObject }); return {}; }, list: async () => [], get: async () => { throw Object.assign(new Error('not found'), { statusCode: 404 }); } },
      actions: { invoke: async () => ({}) as { activationId: string } }, // never read: nothing is redelivered
      activations: { get: async () => { throw Object.assign(new Error('not found'), { statusCode: 404 }); }, list: async () => [] },
    };
    return { delivery, fired };
  };

  it('skips a parent\'s child-run claims and reports a child\'s decided end that never reached the parent', async () => {
    const workflow = parseWorkflow(`
name: sweep-nested
stages:
  - id: fork
    kind: parallel
    branches:
      - stages: [ { id: a, kind: task, action: echo }, { id: b, kind: task, action: echo } ]
`);
    const store = new MemoryRunStore();
    const invoker = new RecordingInvoker();
    await store.upsert(docIds.workflow(workflow.name), { type: 'workflow', name: workflow.name, definition: workflow, trigger: 'whiskflow-sweep-nested', selfReporting: [], deployedAt: 0 } satisfies WorkflowDoc);
    const ctx: OrchestratorContext = { store, invoker, namespace: 'guest', activationId: 'orchestrator-1', now: () => 0 };
    await handleEvent(ctx, { type: 'run.started', eventId: 'e0', workflow: workflow.name, runId: 'run-1', input: { x: 1 } });
    const childId = docIds.childRun('run-1', 0, 0, 1);
    expect((await store.get<InvokeDoc>(docIds.invoke('run-1', 0, 0, 1)))).toMatchObject({ childRunId: childId, activationId: 'orchestrator-1' });
    // The child's end is decided, but its activation died before reporting it (and before the head).
    await store.createOnly(docIds.stage(childId, 2), { type: 'stage', runId: childId, position: 2, stageId: '$end', data: { x: 2 }, taskCount: 0, window: 0, startedAt: 0, end: { status: 'succeeded', output: { x: 2 } } } satisfies StageDoc);
    const { delivery, fired } = client();
    const report = await sweepRuns({ store, client: delivery, now: () => 1_000_000 });
    // The parent's claim for its child is not read as an activation; the child's end is fired at the parent.
    expect(report.neverInvoked).toEqual([]);
    expect(report.redelivered).toEqual([]);
    expect(report.childEnds).toEqual([{ runId: childId, parentRunId: 'run-1', status: 'succeeded' }]);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ name: 'whiskflow-sweep-nested', params: { id: 'run-1/fork:1:0:1/completed', type: 'dev.whiskflow.task.completed', data: { runId: 'run-1', stageId: 'fork', taskKey: 'fork:1:0:1', result: { x: 2 }, task: { runId: 'run-1', index: 0 } } } });
    expect((await store.get<RunDoc>(docIds.run(childId)))!.status).toBe('succeeded');
    // Delivered, the event ends the parent with the child's output.
    await handleEvent(ctx, { type: 'task.completed', eventId: 'run-1/0/0/1', task: (fired[0]!.params.data as { task: never }).task, result: { x: 2 } });
    expect((await store.get<RunDoc>(docIds.run('run-1')))).toMatchObject({ status: 'succeeded', output: [{ x: 2 }] });
  });
});
