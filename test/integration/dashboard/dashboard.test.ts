/**
 * The dashboard in a real browser (Debian's chromium through playwright-core), served by the local
 * platform next to its API: runs of the examples, a failing task with retry and catch, a 1,000-task
 * map; what a person sees on the runs page, a run's graph and timeline, a failed task's error and
 * stack, and updates arriving without a reload. Screenshots land in test-artifacts/dashboard/.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startDashboard, type StartedDashboard } from '../../../lib/dashboard/start';
import { requestRun, waitForRun } from '../../../lib/runs/run-client';
import { parseWorkflow } from '../../../lib/model/parse';
import { deployActionFile } from '../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import { startBrowser, type TestBrowser } from '../../helpers/browser';
import { EXAMPLES_DIR, exampleJson, exampleSource } from '../../helpers/fixtures';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../helpers/deployed-platform';

jest.setTimeout(300_000);

const RESCUED = `
name: rescued
stages:
  - id: breaks
    kind: task
    action: dash/explode
    retry: { maxAttempts: 3, backoff: { initialMs: 100 } }
    catch: [{ next: recover, resultPath: $.caught }]
  - { id: skipped, kind: task, action: fixtures/wait, end: true }
  - { id: recover, kind: task, action: fixtures/wait }
`;
const WIDE = `
name: wide
stages:
  - { id: doubles, kind: map, action: fixtures/double, items: $.items, concurrency: 100 }
  - { id: sum, kind: reduce, action: fixtures/total }
`;
const SLOW = `
name: slow
stages:
  - { id: naps, kind: map, action: fixtures/wait, items: $.naps, concurrency: 1 }
`;

describe('the run dashboard in a browser', () => {
  let deployed: DeployedPlatform;
  let dashboard: StartedDashboard;
  let browser: TestBrowser;
  const runs: Record<string, string> = {};
  const statuses: Record<string, string> = {};

  beforeAll(async () => {
    browser = await startBrowser();
    deployed = await startDeployedPlatform();
    const { client, store, platform } = deployed;
    dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname: 'whiskflow' });
    await deployActionFile(client, { file: join(EXAMPLES_DIR, 'map-reduce/actions.js'), packageName: 'mapreduce' });
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/dashboard-actions.js'), packageName: 'dash' });
    for (const yaml of [exampleSource('map-reduce'), RESCUED, WIDE, SLOW]) await deployWorkflow(client, store, parseWorkflow(yaml));
    const start = async (workflow: string, input: object) => {
      const { runId } = await requestRun(client, workflow, input as never);
      runs[workflow] = runId;
      const began = Date.now();
      const run = await waitForRun(store, runId, { timeoutMs: 240_000 });
      console.log(`${workflow}: run ${runId} ${run.status} in ${Date.now() - began} ms`);
      statuses[workflow] = `${run.status} ${JSON.stringify(run.failure ?? null)}`;
    };
    // One after another: the runs page lists them newest first.
    await start('map-reduce', exampleJson('map-reduce/input.json') as object);
    await start('rescued', { ms: 1 });
    await start('wide', { items: Array.from({ length: 1000 }, (_, i) => i) });
  }, 600_000);

  afterAll(async () => {
    dashboard?.stop();
    await browser?.close();
    await deployed?.platform.stop();
  });

  // Each page keeps a live stream open, and a browser opens at most 6 connections per host.
  let pages: Page[] = [];
  afterEach(async () => {
    await Promise.all(pages.map((page) => page.close()));
    pages = [];
  });
  const open = async (path: string): Promise<Page> => {
    const page = await browser.newPage();
    pages.push(page);
    await page.goto(`${deployed.platform.apihost}${path}`);
    return page;
  };
  const node = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id}"]`);

  it('keeps GET / JSON for API clients and gives browsers the dashboard', async () => {
    const api = await fetch(`${deployed.platform.apihost}/`, { headers: { accept: 'application/json' } });
    expect(api.headers.get('content-type')).toContain('application/json');
    expect(await api.json()).toHaveProperty('limits');
    const page = await open('/');
    await page.locator('#runs-title').waitFor();
    expect(await page.title()).toContain('runs');
  });

  it('lists every run, newest first, and filters them by workflow and status', async () => {
    const page = await open('/dashboard');
    const rows = page.locator('tbody tr[data-run-id]');
    await rows.nth(2).waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')))).toEqual([runs.wide, runs.rescued, runs['map-reduce']]);
    expect(await page.locator(`tr[data-run-id="${runs['map-reduce']}"] .badge`).textContent()).toBe('succeeded');
    await browser.screenshot(page, 'dashboard', 'runs');
    await page.selectOption('select[name=workflow]', 'rescued');
    await page.locator(`tbody tr[data-run-id="${runs.wide}"]`).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(1);
    await page.selectOption('select[name=workflow]', '');
    await page.fill('input[name=q]', runs['map-reduce']!.slice(-6));
    await page.locator(`tbody tr[data-run-id="${runs.rescued}"]`).waitFor({ state: 'detached' });
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')))).toEqual([runs['map-reduce']]);
  });

  it('draws map-reduce\'s graph with each stage\'s state and the choice branch taken, and its timeline', async () => {
    const page = await open(`/dashboard/runs/${runs['map-reduce']}`);
    await node(page, 'partial-sums').waitFor();
    expect(await node(page, 'partial-sums').getAttribute('data-status')).toBe('succeeded');
    expect(await node(page, 'partial-sums').getAttribute('data-state')).toBe('succeeded: 5/5 done');
    expect(await node(page, 'large').getAttribute('data-status')).toBe('succeeded');
    expect(await node(page, 'small').getAttribute('data-status')).toBe('pending');
    expect(await node(page, 'large').getAttribute('aria-label')).toContain('succeeded');
    expect(await page.locator('g.edge[data-from="verdict"][data-to="large"]').getAttribute('data-taken')).toBe('true');
    expect(await page.locator('g.edge[data-from="verdict"][data-to="small"]').getAttribute('data-taken')).toBe('false');
    // 5 sums, the total, the label: one bar per attempt (the bars follow the summary).
    await page.locator('canvas.timeline[data-loading="false"]').waitFor();
    expect(await page.locator('canvas.timeline').getAttribute('data-bars')).toBe('7');
    expect(await page.locator('canvas.timeline').getAttribute('data-attempts')).toBe('7');
    expect(JSON.parse((await page.locator('#run-output').textContent())!)).toEqual({ label: 'large', total: 210, parts: 5 });
    await browser.screenshot(page, 'dashboard', 'run-map-reduce');
    await page.getByRole('button', { name: 'zoom in' }).click();
    await page.getByRole('button', { name: 'Reset' }).click();
  });

  it('says the timeline is loading until its bars arrive, however late they come after the summary', async () => {
    const page = await browser.newPage();
    pages.push(page);
    // The bars' API answers late: the page has drawn the run's summary long before.
    await page.route('**/api/runs/*/bars?*', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue();
    });
    await page.goto(`${deployed.platform.apihost}/dashboard/runs/${runs['map-reduce']}`);
    await node(page, 'partial-sums').waitFor();
    const timeline = page.locator('canvas.timeline');
    expect(await timeline.getAttribute('data-loading')).toBe('true');
    await page.locator('canvas.timeline[data-loading="false"]').waitFor();
    expect(await timeline.getAttribute('data-bars')).toBe('7');
  });

  it('shows a failing task\'s retries on the timeline, the catch taken, and its error with the stack', async () => {
    expect(statuses.rescued).toBe('succeeded null');
    const page = await open(`/dashboard/runs/${runs.rescued}`);
    await node(page, 'breaks').waitFor();
    expect(await node(page, 'breaks').getAttribute('data-status')).toBe('failed');
    expect(await node(page, 'breaks').getAttribute('data-state')).toBe('failed: 1 failed, 2 retried');
    expect(await node(page, 'recover').getAttribute('data-status')).toBe('succeeded');
    expect(await node(page, 'skipped').getAttribute('data-status')).toBe('pending');
    expect(await page.locator('g.edge[data-from="breaks"][data-to="recover"]').getAttribute('data-kind')).toBe('catch');
    expect(await page.locator('g.edge[data-from="breaks"][data-to="recover"]').getAttribute('data-taken')).toBe('true');
    const timeline = page.locator('canvas.timeline');
    await page.locator('canvas.timeline[data-loading="false"]').waitFor();
    expect(await timeline.getAttribute('data-bars')).toBe('4');
    expect(JSON.parse((await timeline.getAttribute('data-statuses'))!)).toEqual({ retried: 2, failed: 1, succeeded: 1 });
    await page.locator('#failed-tasks a').first().click();
    const detail = page.locator('#task-detail');
    await detail.locator('details[open] pre.stack').waitFor();
    expect(await detail.getAttribute('data-status')).toBe('failed');
    expect(await detail.locator('.task-error').textContent()).toContain('exploded on purpose');
    expect(await detail.locator('details[open] pre.stack').textContent()).toMatch(/Error: exploded on purpose[\s\S]*\n\s+at /);
    expect(await detail.locator('li.attempt').count()).toBe(3);
    await browser.screenshot(page, 'dashboard', 'run-failed-task');
  });

  it('draws a 1,000-task map with its count and one bar per task, the bars fetched after the summary', async () => {
    const page = await open(`/dashboard/runs/${runs.wide}`);
    await node(page, 'doubles').waitFor();
    expect(await node(page, 'doubles').getAttribute('data-state')).toBe('succeeded: 1,000/1,000 done');
    const timeline = page.locator('canvas.timeline');
    expect(await timeline.getAttribute('data-attempts')).toBe('1001');
    await page.locator('canvas.timeline[data-bars="1001"][data-loading="false"]').waitFor();
    expect(JSON.parse((await timeline.getAttribute('data-statuses'))!)).toEqual({ succeeded: 1001 });
    // Zooming in and back keeps the bars fetched (which pages a view needs: test/unit/dashboard/run-summary.test.ts).
    await timeline.focus();
    for (let i = 0; i < 6; i += 1) await page.keyboard.press('+');
    await page.keyboard.press('0');
    await page.locator('canvas.timeline[data-bars="1001"][data-loading="false"]').waitFor();
    await browser.screenshot(page, 'dashboard', 'run-wide-map');
  });

  it('shows a workflow\'s graph, YAML, trigger and rule, and its recent runs', async () => {
    const page = await open('/dashboard/workflows/map-reduce');
    await page.locator('#workflow-yaml').waitFor();
    expect(await page.locator('#workflow-yaml').textContent()).toContain('id: partial-sums');
    expect(await page.locator('#rule').textContent()).toContain('whiskflow-map-reduce');
    expect(await node(page, 'verdict').count()).toBe(1);
    expect(await page.locator(`tr[data-run-id="${runs['map-reduce']}"]`).count()).toBe(1);
    await browser.screenshot(page, 'dashboard', 'workflow');
  });

  it('updates the runs list and a running run\'s page as the run goes, without a reload', async () => {
    const list = await open('/dashboard');
    await list.locator('tbody tr[data-run-id]').first().waitFor();
    await list.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 1; });
    const { runId } = await requestRun(deployed.client, 'slow', { naps: Array.from({ length: 16 }, () => ({ ms: 500 })) });
    await list.locator(`tr[data-run-id="${runId}"][data-status="running"]`).waitFor({ timeout: 60_000 });
    const page = await open(`/dashboard/runs/${runId}`);
    await node(page, 'naps').waitFor();
    await page.evaluate(() => { (globalThis as unknown as { marker: number }).marker = 1; });
    await page.locator('g.node[data-node-id="naps"][data-status="running"]').waitFor({ timeout: 60_000 });
    await page.locator('g.node[data-node-id="naps"][data-status="succeeded"]').waitFor({ timeout: 120_000 });
    expect(await node(page, 'naps').getAttribute('data-state')).toBe('succeeded: 16/16 done');
    expect(Number(await page.locator('article').getAttribute('data-reads'))).toBeGreaterThan(1);
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
    await list.locator(`tr[data-run-id="${runId}"][data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    expect(await list.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(1);
  });
});
