/**
 * The native orchestrator gives a stage the pure core's meaning (lib/core/scope.ts), where it once
 * had its own: each case runs natively and under the core's simulation (the streaming engine's
 * interpreter), and both must end alike.
 */
import { compileWorkflow } from '../../../../lib/model/compile';
import type { Json } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import type { Workflow } from '../../../../lib/model/workflow';
import { docIds } from '../../../../lib/store/run-documents';
import { simulate } from '../../../helpers/simulate';
import { setUp } from './orchestrator-harness';

const echo = { echo: (params: Record<string, Json>) => ({ result: params }) };

async function runBoth(workflow: Workflow, input: Json) {
  const core = simulate(compileWorkflow(workflow), input, { actions: echo });
  const t = await setUp(workflow);
  await t.start(input);
  // Completes every task started natively with its parameters, as the `echo` fake does in the core.
  for (let done = 0; done < t.invoker.starts.length; done += 1) {
    const task = t.invoker.starts[done]!;
    await t.complete(task, task.params);
  }
  return { core: core.state, native: await t.run(), t };
}

describe('native stages mean what the core says', () => {
  it('fails a stage whose input path is missing with whiskflow.PathNotFound, which `catch` handles, instead of invoking with {}', async () => {
    const workflow = parseWorkflow(`
name: missing-input
stages:
  - { id: use, kind: task, action: echo, input: $.missing, catch: [ { next: recover, resultPath: $.problem } ] }
  - { id: done, kind: succeed }
  - { id: recover, kind: succeed }
`);
    const { core, native, t } = await runBoth(workflow, { x: 1 });
    expect(t.invoker.starts).toHaveLength(0);
    expect(native.status).toBe('succeeded');
    expect(native.output).toEqual(core.result);
    expect(native.output).toMatchObject({ x: 1, problem: { error: 'whiskflow.PathNotFound', stageId: 'use' } });
  });

  it('fails the run with whiskflow.PathNotFound when `succeed` selects an output that is not there', async () => {
    const workflow = parseWorkflow('name: bad-output\nstages:\n  - { id: done, kind: succeed, output: $.nope }\n');
    const { core, native } = await runBoth(workflow, { x: 1 });
    expect(core.status).toBe('failed');
    expect(native.status).toBe('failed');
    expect(native.failure).toMatchObject({ error: 'whiskflow.PathNotFound', stageId: 'done' });
    expect(native.failure!.error).toBe(core.error!.error);
  });

  it('catches a map over a number as whiskflow.ItemsNotArray, and the run succeeds', async () => {
    const workflow = parseWorkflow(`
name: map-a-number
stages:
  - { id: each, kind: map, action: echo, items: $.items, catch: [ { errors: [whiskflow.ItemsNotArray], next: recover } ] }
  - { id: done, kind: succeed }
  - { id: recover, kind: succeed }
`);
    const { core, native, t } = await runBoth(workflow, { items: 7 });
    expect(t.invoker.starts).toHaveLength(0);
    expect(native.status).toBe('succeeded');
    expect(native.output).toEqual(core.result);
    expect(native.output).toMatchObject({ items: 7, error: { error: 'whiskflow.ItemsNotArray', stageId: 'each' } });
  });

  it('fails a choice that loops back without a task with whiskflow.InstantLoop, in a bounded number of documents', async () => {
    // Built as an object, not parsed: a deploy-time check may refuse such a loop before it ever runs.
    const workflow: Workflow = {
      name: 'spin',
      stages: [
        { id: 'again', kind: 'choice', rules: [{ when: { kind: 'exists', path: '$.x', value: true }, next: 'again' }], default: 'done' },
        { id: 'done', kind: 'succeed', output: '$' },
      ],
    };
    const { core, native, t } = await runBoth(workflow, { x: 1 });
    expect(core.status).toBe('failed');
    expect(native.status).toBe('failed');
    expect(native.failure).toMatchObject({ error: 'whiskflow.InstantLoop', stageId: 'again' });
    expect(native.failure!.error).toBe(core.error!.error);
    // The loop is passed inside one transition: the run's end is its only transition document.
    expect((await t.store.listByPrefix(docIds.stagesPrefix('run-1'))).map((row) => row.id)).toEqual([docIds.stage('run-1', 0)]);
  });

  it('rounds the retry delay as the core does', async () => {
    const workflow = parseWorkflow(`
name: odd-backoff
stages:
  - { id: flaky, kind: task, action: flaky, retry: { maxAttempts: 3, backoff: { initialMs: 333, multiplier: 1.5 } } }
`);
    const t = await setUp(workflow);
    await t.start({});
    await t.fail(t.invoker.starts[0]!, 'boom');
    await t.fail(t.invoker.starts[1]!, 'boom');
    expect(t.invoker.starts.map((start) => start.delayMs)).toEqual([0, 333, 500]);
  });
});
