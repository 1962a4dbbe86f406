/**
 * The dashboard served by the deployment itself: the `whiskflow/dashboard` web action on a local
 * platform WITHOUT the `whiskflow local` dashboard mount, in a real browser (Debian's chromium through
 * playwright-core). Its pages live under the action's `.http` URL, read the store the orchestrator
 * writes, and update by polling (a web action cannot hold an event stream open).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { requestRun, waitForRun } from '../../../lib/runs/run-client';
import { parseWorkflow } from '../../../lib/model/parse';
import { deployActionFile } from '../../../lib/deploy/action-file';
import { dashboardUrl } from '../../../lib/deploy/runtime';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import { startBrowser, type TestBrowser } from '../../helpers/browser';
import { EXAMPLES_DIR, exampleJson, exampleSource } from '../../helpers/fixtures';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../helpers/deployed-platform';

jest.setTimeout(300_000);

const SLOW = `
name: slow
stages:
  - { id: naps, kind: map, action: fixtures/wait, items: $.naps, concurrency: 1 }
`;

describe('the run dashboard as a web action of the whiskflow package', () => {
  let deployed: DeployedPlatform;
  let browser: TestBrowser;
  let url: string;
  let mapReduceRun: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    browser = await startBrowser();
    deployed = await startDeployedPlatform();
    const { client, store, platform } = deployed;
    url = await dashboardUrl(client, platform.apihost);
    await deployActionFile(client, { file: join(EXAMPLES_DIR, 'map-reduce/actions.js'), packageName: 'mapreduce' });
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    for (const yaml of [exampleSource('map-reduce'), SLOW]) await deployWorkflow(client, store, parseWorkflow(yaml));
    mapReduceRun = (await requestRun(client, 'map-reduce', exampleJson('map-reduce/input.json') as never)).runId;
    expect((await waitForRun(store, mapReduceRun, { timeoutMs: 240_000 })).status).toBe('succeeded');
  }, 600_000);

  afterAll(async () => {
    await Promise.all(pages.map((page) => page.close()));
    await browser?.close();
    await deployed?.platform.stop();
  });

  const open = async (path: string): Promise<Page> => {
    const page = await browser.newPage();
    pages.push(page);
    await page.goto(`${url}${path}`);
    return page;
  };
  const node = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id}"]`);

  it('is deployed at the namespace\'s .http URL, and the platform itself serves no /dashboard', async () => {
    expect(url).toBe(`${deployed.platform.apihost}/api/v1/web/guest/whiskflow/dashboard.http`);
    expect((await fetch(`${deployed.platform.apihost}/dashboard`, { headers: { accept: 'text/html' } })).headers.get('content-type')).not.toContain('text/html');
    const script = await fetch(`${url}/assets/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });

  it('lists the finished map-reduce run, whose link leads to its graph with each stage\'s state', async () => {
    const list = await open('');
    const row = list.locator(`tbody tr[data-run-id="${mapReduceRun}"]`);
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('succeeded');
    await browser.screenshot(list, 'dashboard', 'web-action-runs');
    await row.locator('a').first().click();
    await node(list, 'partial-sums').waitFor();
    expect(list.url()).toBe(`${url}/runs/${mapReduceRun}`);
    expect(await node(list, 'partial-sums').getAttribute('data-state')).toBe('succeeded: 5/5 done');
    expect(await node(list, 'large').getAttribute('data-status')).toBe('succeeded');
    expect(await node(list, 'small').getAttribute('data-status')).toBe('pending');
    expect(JSON.parse((await list.locator('#run-output').textContent())!)).toEqual({ label: 'large', total: 210, parts: 5 });
    await browser.screenshot(list, 'dashboard', 'web-action-run');
  });

  it('shows a run started after the page opened, and its progress, without a reload (polling)', async () => {
    const list = await open('');
    await list.locator(`tbody tr[data-run-id="${mapReduceRun}"]`).waitFor();
    expect(await list.locator('body').getAttribute('data-live')).toBe('poll');
    await list.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 1; });
    const { runId } = await requestRun(deployed.client, 'slow', { naps: Array.from({ length: 20 }, () => ({ ms: 1000 })) });
    await list.locator(`tr[data-run-id="${runId}"][data-status="running"]`).waitFor({ timeout: 60_000 });
    const page = await open(`/runs/${runId}`);
    await node(page, 'naps').waitFor();
    await page.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 1; });
    await page.locator('g.node[data-node-id="naps"][data-status="succeeded"]').waitFor({ timeout: 120_000 });
    expect(await node(page, 'naps').getAttribute('data-state')).toBe('succeeded: 20/20 done');
    expect(Number(await page.locator('article').getAttribute('data-reads'))).toBeGreaterThan(1);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    await list.locator(`tr[data-run-id="${runId}"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    expect(await list.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
  });
});
