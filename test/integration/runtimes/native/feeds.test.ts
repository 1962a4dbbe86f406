/**
 * Runs started by events from outside: a CouchDB changes feed (`whiskflow/changes` + the local
 * ChangesProvider) starts one run per changed document, with the document as input.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow, undeployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { waitForRun } from '../../../../lib/runs/run-client';
import { ChangesProvider } from '../../../../lib/deploy/changes-provider';
import { CouchDbRunStore } from '../../../../lib/store/couchdb';
import type { RunDoc } from '../../../../lib/store/run-documents';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(180_000);

describe('changes feed', () => {
  let deployed: DeployedPlatform;
  let provider: ChangesProvider;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures', mains: ['wait'] });
    provider = new ChangesProvider({ store: deployed.store, apihost: deployed.platform.apihost, pollMs: 200, longPollMs: 1_000 });
    provider.start();
  });

  afterAll(async () => {
    await provider?.stop();
    await deployed?.platform.stop();
  });

  it('starts a run per changed document with the document as input, and stops after undeploy', async () => {
    const { client, store, platform } = deployed;
    const orders = new CouchDbRunStore({ url: platform.couchUrl, dbname: 'orders' });
    await orders.ensureReady();
    await deployWorkflow(client, store, parseWorkflow('name: on-order\nstages:\n  - { id: handle, kind: task, action: fixtures/wait }\n'), {
      changes: { dbname: 'orders', url: platform.couchUrl },
    });
    // Give the provider time to pick up the registration before the change (it follows from "now").
    let runs: RunDoc[] = [];
    for (let i = 0; i < 100 && runs.length === 0; i++) {
      if (i % 10 === 0) await orders.upsert(`order-${i}`, { ms: 1, item: 'tea' });
      await sleep(200);
      runs = (await store.listByPrefix<RunDoc>('run/', { includeDocs: true })).flatMap((row) => (row.doc && row.doc.workflow === 'on-order' ? [row.doc] : []));
    }
    expect(runs.length).toBeGreaterThan(0);
    const run = await waitForRun(store, runs[0]!.runId, { timeoutMs: 60_000 });
    expect(run.status).toBe('succeeded');
    expect(run.input).toMatchObject({ ms: 1, item: 'tea' });
    expect(run.output).toMatchObject({ item: 'tea', waited: 1 });

    const removed = await undeployWorkflow(client, store, 'on-order');
    expect(removed).toContain('feed of whiskflow-on-order-changes');
    expect(await store.get('feed/changes/guest/whiskflow-on-order-changes')).toBeUndefined();
  });

  it('starts runs on a cron schedule through the alarms feed, with the configured input', async () => {
    const { client, store } = deployed;
    await deployWorkflow(client, store, parseWorkflow('name: ticking\nstages:\n  - { id: tick, kind: task, action: fixtures/wait }\n'), {
      cron: '*/2 * * * * *', cronInput: { ms: 1, source: 'cron' },
    });
    let runs: RunDoc[] = [];
    for (let i = 0; i < 100 && runs.length === 0; i++) {
      await sleep(200);
      runs = (await store.listByPrefix<RunDoc>('run/', { includeDocs: true })).flatMap((row) => (row.doc && row.doc.workflow === 'ticking' ? [row.doc] : []));
    }
    expect(runs.length).toBeGreaterThan(0);
    const run = await waitForRun(store, runs[0]!.runId, { timeoutMs: 60_000 });
    expect(run.input).toEqual({ ms: 1, source: 'cron' });
    expect(run.output).toEqual({ ms: 1, source: 'cron', waited: 1 });

    const removed = await undeployWorkflow(client, store, 'ticking');
    expect(removed).toEqual(['rule whiskflow-ticking-cron-rule', 'feed of whiskflow-ticking-cron', 'trigger whiskflow-ticking-cron', 'rule whiskflow-ticking-rule', 'trigger whiskflow-ticking', 'definition ticking']);
  });
});
