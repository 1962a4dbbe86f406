/**
 * A task whose action cannot be invoked: OpenWhisk ends the conductor composition ("Failed to resolve
 * action") without running the conductor again, so nothing would report the attempt and the run would
 * wait until a sweep. The conductor looks the action up first and fails the attempt at once, with the
 * platform's error and its activation id; retry and catch apply as for any failure.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(180_000);

describe('a task whose action cannot be invoked', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it('fails the run with the platform\'s error and the conductor activation, well before any sweep would', async () => {
    const { client, store } = deployed;
    await deployWorkflow(client, store, parseWorkflow(`
name: missing
stages:
  - id: first
    kind: task
    action: fixtures/wait
  - id: ghost
    kind: task
    action: fixtures/doesNotExist
`));
    const { runId } = await requestRun(client, 'missing', { ms: 1 });
    // The sweep's default stale window is 120 s: without the conductor's own check the run is still running at 60 s.
    const run = await waitForRun(store, runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('failed');
    expect(run.failure).toMatchObject({ error: 'whiskflow.ActionNotFound', stageId: 'ghost' });
    expect(run.failure!.cause).toContain('/guest/fixtures/doesNotExist');
    expect(run.failure!.cause).toContain('The requested resource does not exist.');
    // The activation that reported it is a real record of the task conductor.
    const reporting = await client.activations.get(run.failure!.activationId!);
    expect(reporting.name).toBe('task');
    expect(JSON.stringify(reporting.response?.result)).toContain('task.failed');
  });

  it('lets a catch route the failure to another stage', async () => {
    const { client, store } = deployed;
    await deployWorkflow(client, store, parseWorkflow(`
name: caught
stages:
  - id: ghost
    kind: task
    action: fixtures/doesNotExist
    catch:
      - { errors: [whiskflow.ActionNotFound], next: fallback, resultPath: $.problem }
  - id: fallback
    kind: task
    action: fixtures/wait
`));
    const { runId } = await requestRun(client, 'caught', { ms: 1 });
    const run = await waitForRun(store, runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ ms: 1, problem: { error: 'whiskflow.ActionNotFound', stageId: 'ghost' } });
  });
});
