/**
 * A completion event that never reaches the orchestrator (here: its rule is disabled while the task
 * finishes, as if the orchestrator activation had died) stalls the run; `sweepRuns` reads the
 * task's outcome from its activation records and fires it again, and the run goes on exactly once.
 * The same for a workflow deployed as wskdeploy deploys `whiskflow manifest` (no workflow document).
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { scheduleSweeper } from '../../../../lib/deploy/runtime';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { SWEEP_TRIGGER, workflowRule } from '../../../../lib/openwhisk/names';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { describeRun } from '../../../../lib/runs/run-view';
import { sweepRuns } from '../../../../lib/runtimes/native/sweep';
import { docIds, type InvokeDoc } from '../../../../lib/store/run-documents';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { deployManifestTriggers } from './manifest-deployment';
import { sleep, until } from '../../../helpers/until';

jest.setTimeout(180_000);

describe('sweeping runs whose completion event was lost', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    // Completions fired into the workflow's trigger (--task-events), so that a disabled rule loses one
    // as a dead orchestrator activation would; the conductor that applies its completion itself and
    // dies first is repaired by the same sweep (crash-recovery.test.ts kills the platform mid-map).
    deployed = await startDeployedPlatform({}, { taskEvents: true });
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    const stages = `
stages:
  - id: slow
    kind: task
    action: fixtures/wait
  - id: after
    kind: task
    action: fixtures/double
`;
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`name: lossy${stages}`));
    await deployManifestTriggers(deployed.client, `name: lossy-manifest${stages}`);
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  /** Starts a run and lets its first task's completion go nowhere (the rule is off while it finishes). */
  async function runLosingFirstCompletion(workflow = 'lossy'): Promise<string> {
    const { client, store } = deployed;
    const { runId } = await requestRun(client, workflow, { ms: 1_500, value: 21 });
    const claim = await until('the task is invoked', async () => {
      const [row] = await store.listByPrefix<InvokeDoc>(docIds.invokesPrefix(runId), { includeDocs: true });
      return row?.doc?.activationId ? row.doc : undefined;
    });
    await client.rules.disable({ name: workflowRule(workflow) });
    try {
      await until('the task conductor finished', async () => client.activations.get({ name: claim.activationId! }).catch(() => undefined));
    } finally {
      await client.rules.enable({ name: workflowRule(workflow) });
    }
    await sleep(500);
    expect(await store.get(docIds.run(runId))).toMatchObject({ status: 'running' });
    expect(await store.listByPrefix(docIds.resultsPrefix(runId))).toHaveLength(0);
    return runId;
  }

  it('re-delivers the finished task\'s outcome once; the run completes and the next stage starts once', async () => {
    const { client, store } = deployed;
    const runId = await runLosingFirstCompletion();

    // Not overdue yet: nothing is fired.
    const early = await sweepRuns({ store, client, staleAfterMs: 600_000 }, [runId]);
    expect(early).toMatchObject({ runsChecked: 1, redelivered: [] });

    const report = await sweepRuns({ store, client, staleAfterMs: 0 });
    expect(report.redelivered).toEqual([expect.objectContaining({ runId, position: 0, index: 0, attempt: 1, outcome: 'completed' })]);
    const run = await waitForRun(store, runId, { timeoutMs: 60_000 });
    expect(run).toMatchObject({ status: 'succeeded', output: { value: 42 } });

    // A second sweep finds nothing to do, and every stage ran its task once.
    expect((await sweepRuns({ store, client, staleAfterMs: 0 }, [runId])).redelivered).toEqual([]);
    const view = (await describeRun(store, runId))!;
    expect(view.stages.map((stage) => [stage.stageId, stage.tasks.map((task) => task.attempts.length)])).toEqual([['slow', [1]], ['after', [1]]]);
  });

  it('repairs a run of a workflow deployed from its wskdeploy manifest: the definition on its trigger, no workflow document', async () => {
    const { client, store } = deployed;
    expect(await store.get(docIds.workflow('lossy-manifest'))).toBeUndefined();
    const runId = await runLosingFirstCompletion('lossy-manifest');
    const report = await sweepRuns({ store, client, staleAfterMs: 0 }, [runId]);
    expect(report.redelivered).toEqual([expect.objectContaining({ runId, position: 0, index: 0, outcome: 'completed' })]);
    expect(await waitForRun(store, runId, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', output: { value: 42 } });
    const view = (await describeRun(store, runId))!;
    expect(view.stages.map((stage) => [stage.stageId, stage.tasks.map((task) => task.attempts.length)])).toEqual([['slow', [1]], ['after', [1]]]);
  });

  it('repairs the run by itself when the whiskflow/sweeper action runs from its alarm (deploy --sweep-cron)', async () => {
    const { client, store } = deployed;
    const runId = await runLosingFirstCompletion();
    await scheduleSweeper(client, '* * * * * *', { staleAfterMs: 0 });
    try {
      expect(await waitForRun(store, runId, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', output: { value: 42 } });
    } finally {
      await client.feeds.delete({ name: '/whisk.system/alarms/alarm', trigger: SWEEP_TRIGGER }).catch(() => undefined);
      await client.triggers.delete({ name: SWEEP_TRIGGER }).catch(() => undefined);
    }
    // A record is listed once written, which may come a little after the run it repaired has ended.
    const sweeps = await until('the sweeper\'s activations are listed', async () => {
      const listed = await client.activations.list({ name: 'whiskflow/sweeper', limit: 5, docs: true } as never) as unknown as { response: { success: boolean } }[];
      return listed.length > 0 ? listed : undefined;
    });
    expect(sweeps.every((activation) => activation.response.success)).toBe(true);
  });
});
