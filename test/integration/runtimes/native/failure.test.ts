/** A task that keeps failing: retried with backoff, then the run ends `failed` with cause and activation id. */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { describeRun } from '../../../../lib/runs/run-view';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { sleep, until } from '../../../helpers/until';

jest.setTimeout(180_000);

describe('a failing task on the local platform', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: doomed
stages:
  - id: first
    kind: task
    action: fixtures/wait
  - id: breaks
    kind: task
    action: fixtures/alwaysFails
    retry: { maxAttempts: 3, backoff: { initialMs: 100 } }
  - id: never
    kind: task
    action: fixtures/wait
`));
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it('retries it, then fails the run with the cause and the failing activation id, keeping what completed', async () => {
    const { client, store } = deployed;
    const { runId } = await requestRun(client, 'doomed', { ms: 1 });
    const run = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({ error: 'whiskflow.ActionFailed', stageId: 'breaks' });
    expect(run.failure!.cause).toContain('always fails');

    const view = (await describeRun(store, runId))!;
    expect(view.stages.map((s) => s.stageId)).toEqual(['first', 'breaks']);
    expect(view.stages[0]!.completed).toBe(1);
    const attempts = view.stages[1]!.tasks[0]!.attempts;
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);

    // The failing activation is a real activation record of the task conductor.
    const failing = await client.activations.get(run.failure!.activationId!);
    expect(failing.name).toBe('task');
    expect(JSON.stringify(failing.response?.result)).toContain('task.failed');
  });

  it('fails an attempt that outlives its timeout with whiskflow.Timeout, and ignores its late completion', async () => {
    const { client, store } = deployed;
    await deployWorkflow(client, store, parseWorkflow(`
name: slow
stages:
  - id: sleepy
    kind: task
    action: fixtures/wait
    timeout: 500
`));
    const { runId } = await requestRun(client, 'slow', { ms: 3000 });
    const run = await waitForRun(store, runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({ error: 'whiskflow.Timeout', stageId: 'sleepy' });
    // The action's own (late) completion is reported later and must not change the outcome.
    const lateReport = await until('the late completion is reported', async () => {
      const records = await client.activations.list({ name: 'task', limit: 20, docs: true } as never) as unknown as { response?: { result?: { runId?: string; reported?: string } } }[];
      return records.some((record) => record.response?.result?.runId === runId && record.response.result.reported === 'task.completed');
    }, { intervalMs: 200 });
    expect(lateReport).toBe(true);
    await sleep(1_000); // let the orchestrator handle that event
    expect((await waitForRun(store, runId)).failure).toMatchObject({ error: 'whiskflow.Timeout' });
    const tasks = (await describeRun(store, runId))!.stages[0]!.tasks;
    expect(tasks[0]!.outcome).toMatchObject({ ok: false, error: 'whiskflow.Timeout' });
  });
});
