/**
 * Runs started by events from outside: a CouchDB changes feed (the platform's built-in
 * `/whisk.system/cloudant/changes`) starts one run per changed document, with the document as input.
 */
import { join } from 'path';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow, undeployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { waitForRun } from '../../../../lib/runs/run-client';
import { CouchDbRunStore } from '../../../../lib/store/couchdb';
import type { RunDoc } from '../../../../lib/store/run-documents';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';

jest.setTimeout(180_000);

describe('changes feed', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures', mains: ['wait'] });
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it('starts a run per changed document with the document as input, and stops after undeploy', async () => {
    const { client, store, platform } = deployed;
    const orders = new CouchDbRunStore({ url: platform.couchUrl, dbname: 'orders' });
    await orders.ensureReady();
    await deployWorkflow(client, store, parseWorkflow('name: on-order\nstages:\n  - { id: handle, kind: task, action: fixtures/wait }\n'), {
      changes: { dbname: 'orders', url: platform.couchUrl },
    });
    // The feed follows from "now": a change written while the trigger is created may be before it.
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
    // Deleted with its trigger: a later change starts nothing.
    await orders.upsert('order-after', { ms: 1, item: 'late' });
    await sleep(2_000);
    const late = (await store.listByPrefix<RunDoc>('run/', { includeDocs: true })).filter((row) => (row.doc?.input as { item?: string } | undefined)?.item === 'late');
    expect(late).toEqual([]);
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
