/**
 * The map-reduce example end to end on the local platform: deploy with the triggers manager, start
 * by firing the trigger, and check the result and the recorded activations. Needs `npm run build`
 * (the orchestrator/task bundles in dist/actions and the platform's compiled runtime).
 */
import openwhisk from 'openwhisk';
import { join } from 'path';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { createRunStore, type StoreConfig } from '../../../../lib/store/config';
import type { RunStore } from '../../../../lib/store/run-store';
import { deployRuntime } from '../../../../lib/deploy/runtime';
import { deployWorkflow, undeployWorkflow } from '../../../../lib/deploy/workflow';
import type { ManagementClient } from '../../../../lib/openwhisk/client';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { describeRun } from '../../../../lib/runs/run-view';
import type { DeliveryClient } from '../../../../lib/openwhisk/client';
import { until } from '../../../helpers/until';
import { exampleJson, exampleWorkflow } from '../../../helpers/fixtures';

const root = join(__dirname, '../../../..');
const example = join(root, 'examples/map-reduce');
// testTimeout in a jest project entry is not applied to hooks; set it here.
jest.setTimeout(180_000);

describe('map-reduce example on the local platform', () => {
  let platform: LocalPlatform;
  let client: ManagementClient & DeliveryClient & openwhisk.Client;
  let store: RunStore;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as typeof client;
    const storeConfig: StoreConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
    store = createRunStore(storeConfig);
    await store.ensureReady();
    await deployRuntime(client, storeConfig, join(root, 'dist/actions'));
    await deployActionFile(client, { file: join(example, 'actions.js'), packageName: 'mapreduce' });
    await deployWorkflow(client, store, exampleWorkflow('map-reduce'));
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('runs 5 sums, their total and the choice, and records every activation', async () => {
    const input = exampleJson('map-reduce/input.json');
    const { runId } = await requestRun(client, 'map-reduce', input);
    const run = await waitForRun(store, runId, { timeoutMs: 90_000 });
    expect(run.failure).toBeUndefined();
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ label: 'large', total: 210, parts: 5 });

    const view = (await describeRun(store, runId))!;
    expect(view.stages.map((s) => s.stageId)).toEqual(['partial-sums', 'total', 'verdict', 'large']);
    const sums = view.stages[0]!;
    expect(sums.tasks).toHaveLength(5);
    for (const task of sums.tasks) {
      expect(task.attempts).toHaveLength(1);
      // The activation id recorded at invoke time is a real activation of the task conductor.
      const activation = await client.activations.get(task.attempts[0]!.activationId!);
      expect(activation.name).toBe('task');
    }
  });

  it('starts a run from a plain trigger fire (wsk trigger fire whiskflow-map-reduce -p input ...)', async () => {
    const before = new Set((await store.listByPrefix('run/')).map((row) => row.id));
    await client.triggers.invoke({ name: 'whiskflow-map-reduce', params: { input: { chunks: [{ numbers: [1, 2] }, { numbers: [3] }] } } });
    const runId = await until('the fire starts a run', async () => (await store.listByPrefix('run/')).map((row) => row.id).find((id) => !before.has(id))?.slice('run/'.length), { intervalMs: 100 });
    expect(runId).toBeDefined();
    const run = await waitForRun(store, runId!, { timeoutMs: 60_000 });
    expect(run.output).toEqual({ label: 'small', total: 6, parts: 2 });
  });

  it('undeploy removes the trigger and rule, and deploy is idempotent', async () => {
    const workflow = exampleWorkflow('map-reduce');
    await deployWorkflow(client, store, workflow);
    const removed = await undeployWorkflow(client, store, 'map-reduce');
    expect(removed).toEqual(['rule whiskflow-map-reduce-rule', 'trigger whiskflow-map-reduce', 'definition map-reduce']);
    await expect(client.triggers.get({ name: 'whiskflow-map-reduce' })).rejects.toMatchObject({ statusCode: 404 });
    expect(await undeployWorkflow(client, store, 'map-reduce')).toEqual([]);
  });
});
