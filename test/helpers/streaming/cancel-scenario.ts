/**
 * `whiskflow cancel` of a streaming run, on any backend: the `run.cancelled` event goes through the
 * stream to the Condition Engine, which ends the run `cancelled`; no task starts after it, and a
 * completion that arrives later changes nothing (as for a native run: test/unit/runtimes/native/cancel.test.ts).
 */
import { cancelStreamRun, startStreamRun } from '../../../lib/runtimes/streaming';
import { parseWorkflow } from '../../../lib/model/parse';
import { FakePlatform } from './fake-platform';
import { engines, finishedRun } from './engines';
import { scenarioFixture, type Backend } from './scenarios';
import { IN_MEMORY, sleep, until } from '../until';

const cancellable = parseWorkflow(`
name: cancellable
stages:
  - { id: each, kind: map, action: work, items: $.items, concurrency: 1 }
  - { id: after, kind: task, action: after }
`);

export function cancelScenario(backend: Backend): void {
  const { openStore, connect, topics, running } = scenarioFixture(backend);

  it('cancels a running run through the stream: nothing starts after it, a late completion changes nothing', async () => {
    const store = await openStore();
    const platform = new FakePlatform({ work: (params) => ({ result: params }), after: () => ({ result: {} }) });
    // The first element finishes, but its record stays unreadable until after the cancel.
    platform.hold = () => true;
    const stream = connect();
    const where = topics();
    running.push(await engines({ stream, store, platform, workflows: [cancellable], consumer: 'cancel', topics: where }));

    const runId = await startStreamRun(stream, { workflow: 'cancellable', input: { items: [1, 2, 3] }, topic: where.completions });
    await until('the task is invoked', () => platform.count('work') === 1, IN_MEMORY);
    await cancelStreamRun(stream, { runId, reason: 'not needed', topic: where.completions });
    const head = await finishedRun(store, runId);
    expect(head).toMatchObject({ status: 'cancelled', failure: { error: 'whiskflow.Cancelled', cause: 'not needed' } });

    // The late completion of element 0 is read and applied to a cancelled run: element 1 and the
    // next stage never start, the run stays cancelled.
    const reads = platform.calls.byId;
    platform.hold = () => false;
    platform.release();
    await until('the activation is read again', () => platform.calls.byId > reads, IN_MEMORY);
    await sleep(300);
    expect(platform.count('work')).toBe(1);
    expect(platform.count('after')).toBe(0);
    expect(await finishedRun(store, runId)).toMatchObject({ status: 'cancelled' });
  });
}
