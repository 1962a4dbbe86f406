/**
 * With the stock OpenWhisk throttles switched on (120 invocations and 60 trigger fires per minute
 * per namespace), a run started while the minute's invocations are used up still completes:
 * throttled invokes and fires are retried with backoff, throttled rule invocations are
 * redelivered, and nothing is lost or doubled.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { deployRuntime } from '../../../../lib/deploy/runtime';
import { describeRun } from '../../../../lib/runs/run-view';
import { ruleOutcomes } from '../../../../lib/openwhisk/deliver';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { exhaustInvocationQuota } from './invocation-quota';

jest.setTimeout(420_000);

const ITEMS = 20;

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

  /** Starts the fan-out once the invocation quota is exhausted; checks its result and that each task ran once. */
  async function runThrottled(): Promise<void> {
    const { client, store } = deployed;
    const values = Array.from({ length: ITEMS }, (_, i) => i + 1);
    const admitted = await exhaustInvocationQuota(client);
    expect(admitted).toBeLessThanOrEqual(120);
    const { runId } = await requestRun(client, 'throttled', { values });
    const run = await waitForRun(store, runId, { timeoutMs: 360_000, pollMs: 1_000 });
    expect(run.failure).toBeUndefined();
    expect(run.output).toEqual({ total: ITEMS * (ITEMS + 1), count: ITEMS });
    const view = (await describeRun(store, runId))!;
    expect(view.stages[0]!.tasks).toHaveLength(ITEMS);
    for (const task of view.stages[0]!.tasks) expect(task.attempts).toHaveLength(1);
  }

  const firesOf = async (since: number) => await deployed.client.activations.list({ name: 'whiskflow-throttled', since, limit: 200, docs: true } as never) as unknown as { logs?: string[] }[];

  it('deploys the whiskflow actions at the concurrency the platform allows (stock: 1), not the 32 asked for', async () => {
    for (const name of ['whiskflow/orchestrator', 'whiskflow/task', 'whiskflow/timer']) {
      const action = await deployed.client.actions.get({ name }) as unknown as { limits: { concurrency: number } };
      expect({ name, concurrency: action.limits.concurrency }).toEqual({ name, concurrency: 1 });
    }
  });

  it(`completes a ${ITEMS}-task fan-out started while the invocation quota is exhausted, each task once, with one fire`, async () => {
    const since = Date.now();
    await runThrottled();
    // The task conductor applies completions (conductor-completion.ts): the start is the only fire.
    expect(await firesOf(since)).toHaveLength(1);
  });

  it('survives throttled rules when completions are fired as task events', async () => {
    await deployRuntime(deployed.client, { kind: 'couchdb', url: deployed.platform.couchUrl, dbname: 'whiskflow' }, join(ROOT, 'dist/actions'), { taskEvents: true });
    const since = Date.now();
    await runThrottled();
    // The rule's invocation of the orchestrator was refused at least once (recorded in the trigger
    // activation) and the event was redelivered: the run still started and finished.
    const fires = await firesOf(since);
    expect(fires.length).toBeGreaterThanOrEqual(ITEMS + 1);
    const throttledRules = fires.flatMap((a) => ruleOutcomes(a.logs))
      .filter((outcome) => !outcome.success && outcome.statusCode === 429);
    expect(throttledRules.length).toBeGreaterThan(0);
  });
});
