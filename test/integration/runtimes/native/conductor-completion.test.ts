/**
 * The task conductor applies each completion itself (lib/runtimes/native/conductor-completion.ts)
 * and continues its composition with the next task (lib/runtimes/native/composition.ts): a run of
 * three task stages takes one trigger fire, one orchestrator activation (its start) and one task
 * composition; a run longer than a composition's 50 components hands over to a new composition and
 * finishes; a conductor invoked with a forged task context records nothing; `taskChain: false`
 * invokes one composition per task; and with `--task-events` (deployRuntime's `taskEvents`) every
 * completion is fired into the workflow's trigger again, where a user's own rule sees it. Needs
 * `npm run build`.
 */
import { join } from 'path';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { deployRuntime } from '../../../../lib/deploy/runtime';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { parseWorkflow } from '../../../../lib/model/parse';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { describeRun } from '../../../../lib/runs/run-view';
import type { StoreConfig } from '../../../../lib/store/config';
import { until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(240_000);

const WORKFLOW = 'chained';
const TRIGGER = `whiskflow-${WORKFLOW}`;

describe('task completions applied by the task conductor', () => {
  let deployed: DeployedPlatform;
  let storeConfig: StoreConfig;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    storeConfig = { kind: 'couchdb', url: deployed.platform.couchUrl, dbname: 'whiskflow' };
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: ${WORKFLOW}
stages:
  - id: one
    kind: task
    action: fixtures/double
  - id: two
    kind: task
    action: fixtures/double
  - id: three
    kind: task
    action: fixtures/double
`));
    // A user's own rule on the workflow's trigger: it sees every event fired into it.
    await deployed.client.actions.update({ name: 'observer', action: { exec: { kind: 'nodejs:20', code: 'function main(params) { return { seen: params.type || "start" }; }' } } } as never);
    await deployed.client.rules.update({ name: 'observe-chained', trigger: TRIGGER, action: 'observer' } as never);
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  /** Activation records of `name` since `since`, once `expected` of them are listed (records are written behind). */
  async function activationsOf(name: string, since: number, expected: number): Promise<{ activationId: string }[]> {
    const list = async () => (await deployed.client.activations.list({ name, since, limit: 200 })) as unknown as { activationId: string }[];
    await until(`${expected} activations of ${name}`, async () => (await list()).length >= expected, 60_000);
    // A moment more, so that one record too many would be listed too.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return list();
  }

  /** The primary records (no `cause`) of task compositions among `records`, by their activation ids. */
  async function compositionsOf(records: { activationId: string }[]): Promise<string[]> {
    const full = await Promise.all(records.map((record) => deployed.client.activations.get({ name: record.activationId }) as Promise<{ activationId: string; cause?: string }>));
    return full.filter((record) => !record.cause).map((record) => record.activationId);
  }

  it('runs three task stages with one fire, one orchestrator activation and one composition', async () => {
    const since = Date.now();
    const { runId } = await requestRun(deployed.client, WORKFLOW, { value: 1 });
    const run = await waitForRun(deployed.store, runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ value: 8 });
    expect(await activationsOf(TRIGGER, since, 1)).toHaveLength(1);
    expect(await activationsOf('whiskflow/orchestrator', since, 1)).toHaveLength(1);
    expect(await activationsOf('observer', since, 1)).toHaveLength(1);
    // One composition: its first conductor run, then per task the action and the conductor run that applies it.
    const conductorRecords = await activationsOf('whiskflow/task', since, 5);
    const compositions = await compositionsOf(conductorRecords);
    expect(compositions).toHaveLength(1);
    const view = (await describeRun(deployed.store, runId))!;
    expect(view.stages.map((stage) => stage.tasks.map((task) => task.attempts.length))).toEqual([[1], [1], [1]]);
    const [first, ...continued] = view.stages.map((stage) => stage.tasks[0]!.attempts[0]!.activationId!);
    expect(first).toBe(compositions[0]);
    const composition = await deployed.client.activations.get({ name: first! });
    // The composition ends with the run that applied the last completion; the others continued it.
    expect((composition.response?.result as { applied?: string } | undefined)?.applied).toBe('recorded');
    for (const id of continued) {
      const record = await deployed.client.activations.get({ name: id }) as { cause?: string; response?: { result?: { action?: string } } };
      expect(record.cause).toBe(first);
      expect(record.response?.result?.action).toMatch(/fixtures\/double$/);
    }
  });

  it('hands a run longer than a composition allows over to a new composition, each task once', async () => {
    const stages = 55;
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: long
stages:
${Array.from({ length: stages }, (_, index) => `  - id: s${index}\n    kind: task\n    action: fixtures/wait\n`).join('')}`));
    const since = Date.now();
    const { runId } = await requestRun(deployed.client, 'long', { ms: 1 });
    const run = await waitForRun(deployed.store, runId, { timeoutMs: 200_000 });
    expect(run.status).toBe('succeeded');
    const view = (await describeRun(deployed.store, runId))!;
    expect(view.stages.map((stage) => stage.tasks.map((task) => task.attempts.length))).toEqual(Array.from({ length: stages }, () => [1]));
    expect(await activationsOf('fixtures/wait', since, stages)).toHaveLength(stages);
    // 50 components, then one non-blocking invoke of a new conductor for the rest: per composition
    // its record and one conductor run more than its components.
    const conductorRecords = await activationsOf('whiskflow/task', since, stages + 4);
    expect(conductorRecords).toHaveLength(stages + 4);
    expect(await compositionsOf(conductorRecords)).toHaveLength(2);
    expect(await activationsOf('whiskflow/orchestrator', since, 1)).toHaveLength(1);
  });

  it('invokes one composition per task without chaining (taskChain: false)', async () => {
    await deployRuntime(deployed.client, storeConfig, join(ROOT, 'dist/actions'), { taskChain: false });
    try {
      const since = Date.now();
      const { runId } = await requestRun(deployed.client, WORKFLOW, { value: 3 });
      const run = await waitForRun(deployed.store, runId, { timeoutMs: 120_000 });
      expect(run.output).toEqual({ value: 24 });
      expect(await compositionsOf(await activationsOf('whiskflow/task', since, 6))).toHaveLength(3);
      const view = (await describeRun(deployed.store, runId))!;
      for (const stage of view.stages) {
        const record = await deployed.client.activations.get({ name: stage.tasks[0]!.attempts[0]!.activationId! });
        expect((record.response?.result as { applied?: string } | undefined)?.applied).toBe('recorded');
      }
    } finally {
      await deployRuntime(deployed.client, storeConfig, join(ROOT, 'dist/actions'));
    }
  });

  it('refuses a completion of a conductor invoked with a forged task context', async () => {
    const { runId } = await requestRun(deployed.client, WORKFLOW, { value: 1 });
    await waitForRun(deployed.store, runId, { timeoutMs: 120_000 });
    const forged = { runId, workflow: WORKFLOW, position: 0, index: 0, attempt: 2, trigger: TRIGGER, stageId: 'one', token: 'forged' };
    const result = await deployed.client.actions.invoke({
      name: 'whiskflow/task', blocking: true, result: true,
      params: { __whiskflow_task: { context: forged, action: 'fixtures/double', params: { value: 100 }, delayMs: 0 } },
    }) as { applied?: string; reason?: string };
    expect(result.applied).toBe('rejected');
    expect(result.reason).toMatch(/token/);
    const view = (await describeRun(deployed.store, runId))!;
    expect(view.run.status).toBe('succeeded');
    expect(view.stages[0]!.tasks[0]!.attempts).toHaveLength(1);
  });

  it('fires every completion into the trigger with task events on, where the user\'s rule sees it', async () => {
    await deployRuntime(deployed.client, storeConfig, join(ROOT, 'dist/actions'), { taskEvents: true });
    try {
      const since = Date.now();
      const { runId } = await requestRun(deployed.client, WORKFLOW, { value: 2 });
      const run = await waitForRun(deployed.store, runId, { timeoutMs: 120_000 });
      expect(run.output).toEqual({ value: 16 });
      const seen = await activationsOf('observer', since, 4);
      expect(seen).toHaveLength(4);
      const types = await Promise.all(seen.map(async (record) => ((await deployed.client.activations.get({ name: record.activationId })).response?.result as { seen: string }).seen));
      expect(types.sort()).toEqual(['dev.whiskflow.run.started', 'dev.whiskflow.task.completed', 'dev.whiskflow.task.completed', 'dev.whiskflow.task.completed']);
      expect(await activationsOf('whiskflow/orchestrator', since, 4)).toHaveLength(4);
    } finally {
      await deployRuntime(deployed.client, storeConfig, join(ROOT, 'dist/actions'));
    }
  });
});
