/**
 * Events a run did not send change nothing: completions fired by hand with the real `wsk`, for an
 * attempt in flight or for attempts never started, a completion fired into another workflow's
 * trigger, and fires whose payload overrides the orchestrator's settings. Each refused completion
 * is counted where `whiskflow status` shows it, and the run ends with its own result.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { describeRun, listRuns, rejectedEventsOf } from '../../../../lib/runs/run-view';
import { readEventKey } from '../../../../lib/openwhisk/event-key';
import { attemptToken } from '../../../../lib/events/event-seal';
import { wsk } from '../../../helpers/openwhisk-cli';
import { until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(240_000);

describe('forged and misrouted events on the local platform', () => {
  let deployed: DeployedPlatform;
  let tmp: string;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    tmp = mkdtempSync(join(tmpdir(), 'whiskflow-forged-'));
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: guarded
stages:
  - id: first
    kind: task
    action: fixtures/wait
`));
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: bystander
stages:
  - id: only
    kind: task
    action: fixtures/wait
`));
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  /** `wsk trigger fire <trigger> -P <file>`; returns the trigger activation id. */
  async function fire(trigger: string, payload: object): Promise<string> {
    const file = join(tmp, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(payload));
    const out = await wsk(deployed.platform, 'trigger', 'fire', trigger, '-P', file);
    const id = /([0-9a-f]{32})/.exec(out)?.[1];
    if (!id) throw new Error(`no activation id in: ${out}`);
    return id;
  }

  /** The rule's log line in the trigger activation, and the orchestrator activation's result when it ran. */
  async function ruleOutcome(triggerActivationId: string): Promise<{ line: { statusCode: number; success: boolean; error?: string; activationId?: string }; result?: Record<string, unknown> }> {
    const trigger = await deployed.client.activations.get({ name: triggerActivationId }) as unknown as { logs: string[] };
    const line = JSON.parse(String(trigger.logs[0])) as { statusCode: number; success: boolean; error?: string; activationId?: string };
    if (!line.activationId) return { line };
    const activationId = line.activationId;
    const record = await until(`orchestrator activation ${activationId}`, () => deployed.client.activations.get({ name: activationId }).catch(() => undefined), 60_000) as unknown as { response: { result: Record<string, unknown> } };
    return { line, result: record.response.result };
  }

  const completion = (id: string, task: Record<string, unknown>, result: unknown) => ({
    specversion: '1.0', type: 'dev.whiskflow.task.completed', source: '/whiskflow/forger', id, data: { task, result },
  });

  it('refuses completions without their attempt\'s token or on the wrong trigger, and the run ends with its own result', async () => {
    const { client, store } = deployed;
    const { runId } = await requestRun(client, 'guarded', { ms: 4_000 });
    const stage = await until('the first stage', async () => (await describeRun(store, runId))?.stages[0], 30_000);
    const task = { runId, workflow: 'guarded', position: stage.position, index: 0, trigger: 'whiskflow-guarded', stageId: 'first' };

    // The attempt in flight, with a made-up token and with none; attempts never started.
    const forged: string[] = [];
    forged.push(await fire('whiskflow-guarded', completion('forged-1', { ...task, attempt: 1, token: 'made-up' }, { forged: true })));
    forged.push(await fire('whiskflow-guarded', completion('forged-2', { ...task, attempt: 1 }, { forged: true })));
    for (const attempt of [7, 0, -5]) forged.push(await fire('whiskflow-guarded', completion(`forged-attempt-${attempt}`, { ...task, attempt }, { forged: true })));
    // A completion with the attempt's true token (read with the namespace's key), fired into another workflow's trigger.
    const key = (await readEventKey(client))!;
    const misrouted = await fire('whiskflow-bystander', completion('misrouted', { ...task, attempt: 1, token: attemptToken(key, { ...task, attempt: 1 }) }, { forged: true }));

    for (const id of forged) {
      const { result } = await ruleOutcome(id);
      expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('token') });
    }
    expect((await ruleOutcome(misrouted)).result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining("arrived on the trigger of workflow 'bystander'") });

    const run = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    expect(JSON.stringify(run.output)).not.toContain('forged');
    const view = (await describeRun(store, runId))!;
    expect(view.stages[0]!.tasks[0]!.attempts.map((attempt) => attempt.attempt)).toEqual([1]);
    const rejected = await rejectedEventsOf(store, runId);
    expect(rejected.count).toBe(6);
    expect(rejected.latest?.reason).toBeTruthy();
  });

  it('does not let a fire override the orchestrator\'s store or pick another workflow', async () => {
    const { store } = deployed;
    // The orchestrator is `final`: a rule's invoke whose payload names its bound store is refused (400), it never runs.
    const storeOverride = await fire('whiskflow-guarded', { whiskflowStore: { kind: 'couchdb', url: 'http://127.0.0.1:45999', dbname: 'elsewhere' }, input: { ms: 1 } });
    const refused = await ruleOutcome(storeOverride);
    expect(refused.line).toMatchObject({ statusCode: 400, success: false });
    expect(refused.line.error).toMatch(/not allowed/);
    expect(refused.result).toBeUndefined();

    // A trigger parameter can be overridden by a payload, but not its seal: no run of the other workflow starts.
    const before = (await listRuns(store, { workflow: 'bystander' })).length;
    const renamed = await fire('whiskflow-guarded', { whiskflowWorkflow: 'bystander', input: { ms: 1 } });
    expect((await ruleOutcome(renamed)).result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('seal') });
    const ownDefinition = await fire('whiskflow-guarded', { whiskflowDefinition: { name: 'guarded', stages: [{ id: 'x', kind: 'task', action: 'fixtures/double' }] }, input: { ms: 1 } });
    expect((await ruleOutcome(ownDefinition)).result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('seal') });
    expect((await listRuns(store, { workflow: 'bystander' })).length).toBe(before);
  });
});
