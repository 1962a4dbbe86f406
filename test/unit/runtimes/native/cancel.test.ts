/** `whiskflow cancel` of a native run: a claimed transition; nothing starts after it, late completions change nothing. */
import { cancelNativeRun } from '../../../../lib/runtimes/native/cancel';
import { parseWorkflow } from '../../../../lib/model/parse';
import { docIds, type ResultDoc, type StageDoc } from '../../../../lib/store/run-documents';
import { setUp } from './orchestrator-harness';

describe('cancelling a native run', () => {
  it('ends it cancelled; the running map starts no further element, and late completions are recorded and change nothing', async () => {
    const t = await setUp(parseWorkflow('name: wide\nstages:\n  - { id: each, kind: map, action: work, items: $.items, concurrency: 2 }\n  - { id: after, kind: task, action: next }\n'));
    await t.start({ items: [0, 1, 2, 3, 4] });
    expect(t.invoker.starts).toHaveLength(2);

    const outcome = await cancelNativeRun(t.store, 'run-1', { reason: 'no longer needed', by: 'test' });
    expect(outcome).toMatchObject({ outcome: 'cancelled', stageId: 'each' });
    const head = await t.run();
    expect(head.status).toBe('cancelled');
    expect(head.failure).toMatchObject({ error: 'whiskflow.Cancelled', cause: 'no longer needed', stageId: 'each' });

    // The two running elements complete after the cancel: recorded, but element 2, 3 (window) and
    // the next stage never start, and the run stays cancelled.
    const [first, second] = t.invoker.starts;
    await t.complete(first!, { v: 0 });
    await t.complete(second!, { v: 1 });
    expect(t.invoker.starts).toHaveLength(2);
    expect(await t.store.get<ResultDoc>(docIds.result('run-1', 0, 0, 5))).toMatchObject({ ok: true, result: { v: 0 } });
    expect((await t.run()).status).toBe('cancelled');
    expect((await t.store.get<StageDoc>(docIds.stage('run-1', 1)))!.end).toMatchObject({ status: 'cancelled' });

    // Cancelling again changes nothing.
    expect(await cancelNativeRun(t.store, 'run-1')).toEqual({ outcome: 'over', runId: 'run-1', status: 'cancelled' });
  });

  it('starts no retry of a task that fails after the cancel, even for an orchestrator that still holds the head as running', async () => {
    const t = await setUp(parseWorkflow('name: retried\nstages:\n  - { id: flaky, kind: task, action: flaky, retry: { maxAttempts: 3, backoff: { initialMs: 1 } } }\n'));
    await t.start({});
    expect(t.invoker.starts).toHaveLength(1);
    // A warm container keeps the head cached as running: the check must not rely on the head.
    await cancelNativeRun(t.store, 'run-1');
    await t.fail(t.invoker.starts[0]!, { error: 'boom' });
    expect(t.invoker.starts).toHaveLength(1);
    expect((await t.run()).status).toBe('cancelled');
  });

  it('loses to a transition claimed first and cancels the stage after it; the run never succeeds', async () => {
    const t = await setUp(parseWorkflow('name: seq\nstages:\n  - { id: one, kind: task, action: one }\n  - { id: two, kind: task, action: two }\n'));
    await t.start({});
    await t.complete(t.invoker.starts[0]!, { n: 1 });
    // `two` was entered (position 1) before the cancel: the cancel claims position 2.
    const outcome = await cancelNativeRun(t.store, 'run-1');
    expect(outcome).toMatchObject({ outcome: 'cancelled', stageId: 'two' });
    await t.complete(t.invoker.ofPosition(1)[0]!, { n: 2 });
    const head = await t.run();
    expect(head.status).toBe('cancelled');
    expect(head.output).toBeUndefined();
  });

  it('refuses an unknown run and a run that has ended', async () => {
    const t = await setUp(parseWorkflow('name: quick\nstages:\n  - { id: one, kind: task, action: one }\n'));
    await expect(cancelNativeRun(t.store, 'nope')).rejects.toThrow(/nope/);
    await t.start({});
    await t.complete(t.invoker.starts[0]!, { n: 1 });
    expect(await cancelNativeRun(t.store, 'run-1')).toMatchObject({ outcome: 'over', status: 'succeeded' });
  });
});
