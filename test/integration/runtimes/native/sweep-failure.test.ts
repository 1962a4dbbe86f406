/**
 * `whiskflow status` of a run whose completion was not recorded says so. A sweep whose re-delivery fails again (the orchestrator activation it starts fails: its store
 * unreachable, say) must not report success: `whiskflow sweep` names the failure and exits non-zero.
 * Here the rule hands the re-delivered event to an action that fails, as an orchestrator that cannot
 * reach its store does. Also: `whiskflow cancel` of a native run through the CLI.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { ORCHESTRATOR_ACTION, workflowRule, workflowTrigger } from '../../../../lib/openwhisk/names';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { docIds, type InvokeDoc } from '../../../../lib/store/run-documents';
import { cliSession } from '../../../helpers/cli';
import { sleep, until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(180_000);

describe('whiskflow sweep and cancel on the local platform', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    // Completions fired into the workflow's trigger (--task-events), so that a disabled rule loses one
    // as a dead orchestrator activation would; the conductor that applies its completion itself and
    // dies first is repaired by the same sweep (crash-recovery.test.ts kills the platform mid-map).
    deployed = await startDeployedPlatform({}, { taskEvents: true });
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: fragile
stages:
  - id: slow
    kind: task
    action: fixtures/wait
`));
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it('exits non-zero when the re-delivered completion fails again, and zero once it is handled', async () => {
    const { client, store, platform } = deployed;
    const rule = workflowRule('fragile');
    const { runId } = await requestRun(client, 'fragile', { ms: 1_000 });
    const claim = await until('the task is invoked', async () => (await store.get<InvokeDoc>(docIds.invoke(runId, 0, 0, 1)))?.activationId);
    // The completion is lost (rule off while the task finishes) ...
    await client.rules.disable({ name: rule });
    await until('the task conductor finished', async () => client.activations.get({ name: claim }).catch(() => undefined));
    // ... and its re-delivery goes to an "orchestrator" that fails.
    await client.rules.update({ name: rule, trigger: workflowTrigger('fragile'), action: 'fixtures/alwaysFails' });
    await client.rules.enable({ name: rule });

    const session = cliSession(platform);
    try {
      const failed = await session.result('sweep', '--stale-after', '0', runId);
      expect(failed.output).toContain('re-delivery FAILED');
      expect(failed.exitCode).toBe(1);
      expect(await store.get(docIds.run(runId))).toMatchObject({ status: 'running' });
      // `status` says what the run waits on, and since when.
      const status = await session.cli('status', runId);
      expect(status).toContain(`waiting on stage slow task 0 attempt 1: activation ${claim} ended, its completion not recorded by the orchestrator yet`);
      expect(status).toMatch(/since \d{4}-\d\d-\d\dT/);

      await client.rules.update({ name: rule, trigger: workflowTrigger('fragile'), action: ORCHESTRATOR_ACTION });
      const handled = await session.result('sweep', '--stale-after', '0', runId);
      expect(handled.output).not.toContain('FAILED');
      expect(handled.exitCode).toBe(0);
      expect(await waitForRun(store, runId, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded' });
    } finally {
      session.restore();
    }
  });

  it('cancels a running run: it ends cancelled and its late completion changes nothing', async () => {
    const { client, store, platform } = deployed;
    const { runId } = await requestRun(client, 'fragile', { ms: 2_000 });
    const claim = await until('the task is invoked', async () => (await store.get<InvokeDoc>(docIds.invoke(runId, 0, 0, 1)))?.activationId);
    const session = cliSession(platform);
    try {
      expect(await session.cli('cancel', runId, '--reason', 'test')).toContain(`run ${runId} cancelled`);
    } finally {
      session.restore();
    }
    await until('the task conductor finished', async () => client.activations.get({ name: claim }).catch(() => undefined));
    await sleep(1_000);
    // The late completion changed nothing (test/unit/runtimes/native/cancel.test.ts shows it recorded by a warm orchestrator).
    expect(await store.get(docIds.run(runId))).toMatchObject({ status: 'cancelled', failure: { error: 'whiskflow.Cancelled', cause: 'test' } });
  });
});
