/**
 * A streaming run (the Condition and Rule Engines on a real Redis) on the dashboard: listed with its
 * model, drawn with its stages' states from its checkpointed context, in a real browser.
 */
import { join } from 'node:path';
import { startDashboard, type StartedDashboard } from '../../../lib/dashboard/start';
import { deployActionFile } from '../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import { startBrowser, type TestBrowser } from '../../helpers/browser';
import { EXAMPLES_DIR, exampleJson, exampleWorkflow } from '../../helpers/fixtures';
import { requireRedis, type TestService } from '../../helpers/services';
import { startDeployedPlatform, type DeployedPlatform } from '../../helpers/deployed-platform';
import { runUnder, startStreamingModel, type StreamingModel } from '../../helpers/two-models';

jest.setTimeout(300_000);

describe('a streaming run on the dashboard', () => {
  let deployed: DeployedPlatform;
  let redis: TestService;
  let streaming: StreamingModel;
  let dashboard: StartedDashboard;
  let browser: TestBrowser;

  beforeAll(async () => {
    [browser, deployed, redis] = await Promise.all([startBrowser(), startDeployedPlatform(), requireRedis()]);
    const { client, store, platform } = deployed;
    dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname: 'whiskflow' });
    await deployActionFile(client, { file: join(EXAMPLES_DIR, 'map-reduce/actions.js'), packageName: 'mapreduce' });
    await deployWorkflow(client, store, exampleWorkflow('map-reduce'));
    streaming = await startStreamingModel(deployed, redis.url, 'redis');
  }, 240_000);

  afterAll(async () => {
    dashboard?.stop();
    await browser?.close();
    await streaming?.stop();
    await Promise.allSettled([deployed?.platform.stop(), redis?.stop()]);
  });

  it('lists the run as streaming and draws its graph with every stage\'s state', async () => {
    const run = await runUnder('redis', deployed, { redis: streaming }, 'map-reduce', exampleJson('map-reduce/input.json'), 240_000);
    expect(run.status).toBe('succeeded');
    const list = await browser.newPage();
    await list.goto(dashboard.url);
    const row = list.locator(`tr[data-run-id="${run.runId}"]`);
    await row.waitFor();
    expect(await row.locator('td').nth(3).textContent()).toBe('streaming');
    await list.close();
    const page = await browser.newPage();
    await page.goto(dashboard.runUrl(run.runId));
    const node = (id: string) => page.locator(`g.node[data-node-id="${id}"]`);
    await node('partial-sums').waitFor();
    expect(await node('partial-sums').getAttribute('data-state')).toBe('succeeded: 5/5 done');
    expect(await node('large').getAttribute('data-status')).toBe('succeeded');
    expect(await node('small').getAttribute('data-status')).toBe('pending');
    await page.locator('canvas.timeline[data-loading="false"]').waitFor();
    expect(await page.locator('canvas.timeline').getAttribute('data-bars')).toBe('7');
    await browser.screenshot(page, 'dashboard', 'run-streaming');
    await page.close();
  });
});
