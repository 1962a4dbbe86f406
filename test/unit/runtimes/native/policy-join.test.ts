/**
 * Completion policies under the native orchestrator (policy-join.ts): the k-th completion decides
 * exactly once however many activations see it at once, the reduce receives the results that
 * counted, and outcomes after the decision are recorded and change nothing. A wait's timer fired by
 * several activations at once wakes the run once (waits.ts).
 */
import { handleEvent } from '../../../../lib/runtimes/native/orchestrator';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type RunDoc, type StageDoc } from '../../../../lib/store/run-documents';
import { waitsOf } from '../../../../lib/runtimes/native/run-waits';
import { setUp } from './orchestrator-harness';

const quorum = parseWorkflow(`
name: quorum
stages:
  - { id: write, kind: map, items: $.items, action: put, completion: { atLeast: 2 } }
  - { id: ack, kind: reduce, action: ack }
`);

describe('native joins under a completion policy', () => {
  it('the k-th completion decides once when every completion arrives at once, twice each', async () => {
    for (let round = 0; round < 5; round += 1) {
      const t = await setUp(quorum);
      await t.start({ items: [0, 1, 2, 3] });
      const tasks = [...t.invoker.starts];
      const order = [...tasks, ...tasks].map((task, i, all) => all[(i + round) % all.length]!);
      await Promise.all(order.map((task, copy) => handleEvent({ ...t.ctx, store: Object.create(t.store) as MemoryRunStore, activationId: `o-${copy}` }, {
        type: 'task.completed', eventId: `c-${task.context.index}`, task: task.context, result: task.context.index,
      })));
      const reduce = t.invoker.ofPosition(1);
      expect(reduce).toHaveLength(1);
      const counted = reduce[0]!.params.results as number[];
      expect(counted).toHaveLength(2);
      expect([...counted].sort()).toEqual(counted);
      // Every outcome is recorded, including those that came after the decision.
      expect(await t.store.listByPrefix(docIds.resultsPrefix('run-1', 0))).toHaveLength(4);
    }
  });

  it('counts failures against the tolerance and fails with the one that broke it', async () => {
    const t = await setUp(quorum);
    await t.start({ items: [0, 1, 2] });
    const [a, b, c] = t.invoker.starts;
    await t.fail(a!, { name: 'Down', message: 'a' });
    expect((await t.run()).status).toBe('running');
    await t.fail(c!, { name: 'Down', message: 'c' });
    const head = await t.run();
    expect(head.status).toBe('failed');
    expect(head.failure).toMatchObject({ stageId: 'write' });
    // Late success of the last element: recorded, ignored.
    await t.complete(b!, 1);
    expect((await t.run()).status).toBe('failed');
  });

  it('a wait fires once when its timer is delivered by several activations at once', async () => {
    const t = await setUp(parseWorkflow(`
name: waits
stages:
  - { id: pause, kind: wait, seconds: 60 }
  - { id: after, kind: task, action: a }
`));
    await t.start({ x: 1 });
    const stage = (await t.store.get<StageDoc>(docIds.stage('run-1', 0)))!;
    expect(stage).toMatchObject({ stageId: 'pause', taskCount: 1, window: 0 });
    expect(stage.wakeAt! - stage.startedAt).toBe(60_000);
    expect(t.invoker.starts).toEqual([]);
    // `whiskflow status` says what the run waits for: the timer and when it is due.
    const waiting = await waitsOf(t.store, (await t.store.get<RunDoc>(docIds.run('run-1')))!);
    expect(waiting.waits.map((wait) => wait.what)).toEqual([`stage pause: a timer, due ${new Date(stage.wakeAt!).toISOString()} (fired by the sweep once due)`]);
    const task = { runId: 'run-1', workflow: 'waits', position: 0, index: 0, attempt: 1, trigger: 'whiskflow-waits', stageId: 'pause' };
    await Promise.all([0, 1, 2].map((copy) => handleEvent({ ...t.ctx, store: Object.create(t.store) as MemoryRunStore, activationId: `w-${copy}` }, {
      type: 'task.completed', eventId: `wake-${copy}`, task, result: null,
    })));
    expect(t.invoker.starts.map((start) => [start.context.stageId, start.params])).toEqual([['after', { x: 1 }]]);
    // A forged failure for the timer is no outcome of anything.
    const ignored = await handleEvent(t.ctx, { type: 'task.failed', eventId: 'forged', task: { ...task, position: 0 }, error: { name: 'X' } });
    expect(ignored.outcome).not.toBe('recorded');
  });
});
