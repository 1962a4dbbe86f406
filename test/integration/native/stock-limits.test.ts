/**
 * With the stock OpenWhisk throttles switched on (120 invocations and 60 trigger fires per minute
 * per namespace), a run needing more invocations than a minute allows still completes: throttled
 * invokes and fires are retried with backoff, throttled rule invocations are redelivered, and
 * nothing is lost or doubled.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../lib/model/parse';
import { deployWorkflow } from '../../../lib/triggers/manager';
import { deployActionFile } from '../../../lib/triggers/action-file';
import { requestRun, waitForRun } from '../../../lib/engine/native/run-client';
import { describeRun } from '../../../lib/engine/native/run-view';
import { ruleOutcomes } from '../../../lib/report/deliver';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from './deployed-platform';

jest.setTimeout(420_000);

/**
 * Each task costs one invoke of the task conductor and one rule invocation of the orchestrator
 * (conductor-internal activations are not throttled, as in OpenWhisk), and one trigger fire:
 * 70 tasks need ~141 invocations and ~71 fires, more than a minute allows.
 */
const ITEMS = 70;

describe('a run on a platform with the stock limits', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform({ stockLimits: true });
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures', mains: ['double', 'total'] });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: throttled
stages:
  - id: doubles
    kind: map
    action: fixtures/double
    items: $.values
  - id: sum
    kind: reduce
    action: fixtures/total
`));
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it(`completes a ${ITEMS}-task fan-out needing more invocations and fires than a minute allows, each task once`, async () => {
    const { client, store } = deployed;
    const values = Array.from({ length: ITEMS }, (_, i) => i + 1);
    const { runId } = await requestRun(client, 'throttled', { values });
    const run = await waitForRun(store, runId, { timeoutMs: 360_000, pollMs: 1_000 });
    expect(run.failure).toBeUndefined();
    expect(run.output).toEqual({ total: ITEMS * (ITEMS + 1), count: ITEMS });

    const view = (await describeRun(store, runId))!;
    expect(view.stages[0]!.tasks).toHaveLength(ITEMS);
    for (const task of view.stages[0]!.tasks) expect(task.attempts).toHaveLength(1);

    // 429s really happened: more activations were needed than one minute allows, and some rule
    // invocations were refused (recorded in trigger activations) and had to be redelivered.
    expect((await client.activations.list({ limit: 200 })).length).toBeGreaterThan(120);
    const fires = await client.activations.list({ name: 'whiskflow-throttled', limit: 200, docs: true } as never) as unknown as { logs?: string[] }[];
    expect(fires.length).toBeGreaterThanOrEqual(ITEMS + 1);
    const throttledRules = fires.flatMap((a) => ruleOutcomes(a.logs))
      .filter((outcome) => !outcome.success && outcome.statusCode === 429);
    expect(throttledRules.length).toBeGreaterThan(0);
  });
});
