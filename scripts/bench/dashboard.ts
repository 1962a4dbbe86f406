/**
 * Benchmark of the run dashboard in a real browser (Debian's chromium, playwright-core): how long
 * the runs page takes with 10,000 runs in the store, and a run's page with a 10,000-task map, from
 * navigation until what a person looks at is drawn (the first rows; the graph's node states and the
 * timeline's 10,000 bars). The store is filled directly with documents of the shapes the engines
 * write (lib/store/run-documents.ts): no actions run.
 *
 *   npm run build && node dist/scripts/bench/dashboard.js [--runs 10000] [--tasks 10000] [--repeats 5]
 *
 * Writes bench-results/dashboard.json. Targets are reported with a pass flag, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { chromium } from 'playwright-core';
import { positiveInteger } from '../../lib/cli/options';
import { startDashboard } from '../../lib/dashboard/start';
import { parseWorkflow } from '../../lib/model/parse';
import { startPlatform } from '../../lib/platform';
import { createAll } from '../../lib/store/bulk';
import { createRunStore } from '../../lib/store/config';
import { docIds, type InvokeDoc, type ResultDoc, type RunDoc, type StageDoc, type WorkflowDoc } from '../../lib/store/run-documents';
import type { NewDoc, RunStore } from '../../lib/store/run-store';
import { hostInfo, phaseRunner, printTargets, target, writeReport, type BenchReport } from './lib/report';
import { rounded, summarize } from './lib/stats';

const CHROMIUM = process.env.WHISKFLOW_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Options { runs: number; tasks: number; repeats: number; out: string }

const WORKFLOW = parseWorkflow(`
name: wide-bench
stages:
  - { id: fan, kind: map, action: bench/work, items: $.items }
  - { id: gather, kind: reduce, action: bench/sum }
`);

/** 10,000 finished run heads of a few workflows, and one run whose map has `tasks` tasks. */
async function fillStore(store: RunStore, options: Options): Promise<string> {
  const base = Date.now() - options.runs * 1000;
  const statuses: RunDoc['status'][] = ['succeeded', 'succeeded', 'succeeded', 'failed', 'running'];
  const heads: NewDoc[] = Array.from({ length: options.runs }, (_, i) => {
    const runId = `${(base + i * 1000).toString(36).padStart(9, '0')}-b${String(i).padStart(5, '0')}`;
    const status = statuses[i % statuses.length]!;
    const run: RunDoc = { type: 'run', runId, workflow: `bench-${i % 7}`, input: { i }, status, startedAt: base + i * 1000, ...(status !== 'running' ? { endedAt: base + i * 1000 + 250 + (i % 900) } : {}) };
    return { id: docIds.run(runId), body: run };
  });
  await createAll(store, heads);
  const workflow: WorkflowDoc = { type: 'workflow', name: WORKFLOW.name, definition: WORKFLOW, trigger: 'whiskflow-wide-bench', selfReporting: [], deployedAt: Date.now() };
  await store.upsert(docIds.workflow(WORKFLOW.name), workflow);
  const runId = `${Date.now().toString(36).padStart(9, '0')}-wide00`;
  const started = Date.now() - 60_000;
  const n = options.tasks;
  const docs: NewDoc[] = [
    { id: docIds.run(runId), body: { type: 'run', runId, workflow: WORKFLOW.name, input: { items: n }, status: 'succeeded', startedAt: started, endedAt: started + 50_000, output: { total: n } } satisfies RunDoc },
    { id: docIds.stage(runId, 1), body: { type: 'stage', runId, seq: 1, stageId: 'fan', data: null, taskCount: n, window: 100, startedAt: started } satisfies StageDoc },
    { id: docIds.stage(runId, 2), body: { type: 'stage', runId, seq: 2, stageId: 'gather', data: null, taskCount: 1, window: 1, startedAt: started + 45_000 } satisfies StageDoc },
  ];
  for (let index = 0; index < n; index += 1) {
    const invokedAt = started + Math.floor((index / 100)) * 400 + (index % 100);
    // Every 50th task needed a second attempt.
    const attempts = index % 50 === 0 ? 2 : 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      docs.push({ id: docIds.invoke(runId, 1, index, attempt), body: { type: 'invoke', runId, seq: 1, index, attempt, claimedAt: invokedAt + (attempt - 1) * 150, invokedAt: invokedAt + (attempt - 1) * 150, activationId: `${index.toString(16).padStart(28, '0')}000${attempt}` } satisfies InvokeDoc });
    }
    docs.push({ id: docIds.result(runId, 1, index, n), body: { type: 'result', runId, seq: 1, index, attempt: attempts, ok: true, result: { value: index }, completedAt: invokedAt + attempts * 150 + 200 } satisfies ResultDoc });
  }
  docs.push({ id: docIds.invoke(runId, 2, 0, 1), body: { type: 'invoke', runId, seq: 2, index: 0, attempt: 1, claimedAt: started + 45_000, invokedAt: started + 45_000 } satisfies InvokeDoc });
  docs.push({ id: docIds.result(runId, 2, 0, 1), body: { type: 'result', runId, seq: 2, index: 0, attempt: 1, ok: true, result: { total: n }, completedAt: started + 50_000 } satisfies ResultDoc });
  await createAll(store, docs);
  return runId;
}

async function main(options: Options): Promise<void> {
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  const phase = phaseRunner(results, notes);
  const startedAt = new Date().toISOString();
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-bench-dashboard-'));
  const profile = mkdtempSync(join(tmpdir(), 'whiskflow-bench-chromium-'));
  const platform = await startPlatform({ port: 0, dataDir });
  const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
  await store.ensureReady();
  const dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname: 'whiskflow' });
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 1000 } });
  try {
    let wideRun = '';
    await phase('fill', async () => {
      const began = performance.now();
      wideRun = await fillStore(store, options);
      return { runs: options.runs + 1, tasks: options.tasks, ms: Math.round(performance.now() - began) };
    });
    /**
     * Navigation until `ready` holds, in a fresh page each time. The first load is reported apart
     * (`coldMs`): the server assembles the page from the store; a finished run's page is then
     * served from memory (it no longer changes), the runs page never is.
     */
    const measure = async (url: string, ready: string): Promise<{ coldMs: number; render: unknown }> => {
      const samples: number[] = [];
      let coldMs = 0;
      for (let i = 0; i <= options.repeats; i += 1) {
        const page = await context.newPage();
        const began = performance.now();
        await page.goto(url);
        await page.locator(ready).first().waitFor({ timeout: 120_000 });
        if (i > 0) samples.push(performance.now() - began);
        else coldMs = Math.round(performance.now() - began);
        await page.close();
      }
      return { coldMs, render: rounded(summarize(samples)) };
    };
    const apiTimes = async (url: string) => {
      const samples: number[] = [];
      for (let i = 0; i < options.repeats; i += 1) {
        const began = performance.now();
        await (await fetch(url)).arrayBuffer();
        samples.push(performance.now() - began);
      }
      return rounded(summarize(samples));
    };
    await phase('runsPage', async () => ({
      loadAverage: os.loadavg()[0],
      ...await measure(dashboard.url, `#runs-count[data-total="${options.runs + 1}"]`),
      api: await apiTimes(`${dashboard.url}/api/runs`),
    }));
    await phase('runPage', async () => ({
      loadAverage: os.loadavg()[0],
      ...await measure(dashboard.runUrl(wideRun), `canvas.timeline[data-bars="${options.tasks + Math.ceil(options.tasks / 50) + 1}"]`),
      api: await apiTimes(`${dashboard.url}/api/runs/${wideRun}`),
    }));
  } finally {
    await context.close();
    dashboard.stop();
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
  const p50 = (name: string): number | null => ((results[name] as { render?: { p50?: number } } | undefined)?.render?.p50 ?? null);
  const cold = (name: string): number | null => ((results[name] as { coldMs?: number } | undefined)?.coldMs ?? null);
  notes.push('The machine\'s load average is recorded per page: on a shared 2-core machine it inflates every number.');
  const targets = [
    target(`runs page with ${options.runs} runs, navigation to rows (p50, ms)`, '< 2000', p50('runsPage'), (p50('runsPage') ?? Infinity) < 2000),
    target(`run page of a ${options.tasks}-task map, navigation to graph and every bar (p50, ms)`, '< 2000', p50('runPage'), (p50('runPage') ?? Infinity) < 2000),
    target(`run page of a ${options.tasks}-task map, first load (assembled from the store, ms)`, '< 2000', cold('runPage'), (cold('runPage') ?? Infinity) < 2000),
  ];
  const report: BenchReport = { benchmark: 'dashboard', startedAt, finishedAt: new Date().toISOString(), host: hostInfo(), options: { ...options }, results, targets, notes };
  console.log(`wrote ${writeReport(options.out, report)}`);
  printTargets(targets);
}

const program = new Command()
  .option('--runs <n>', 'run heads in the store', positiveInteger, 10_000)
  .option('--tasks <n>', 'tasks of the wide run\'s map', positiveInteger, 10_000)
  .option('--repeats <n>', 'measured page loads per page (after one warm-up)', positiveInteger, 5)
  .option('--out <file>', 'JSON report path', 'bench-results/dashboard.json')
  .action(async (options: Options) => main(options));
program.parseAsync().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
