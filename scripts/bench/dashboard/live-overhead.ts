/**
 * What a run page receiving live updates costs the run it shows: the same map of no-op tasks run
 * by the native orchestrator on a local platform, in interleaved pairs, once with the run's page
 * open in the browser (server-sent events, the page reading the run again as it goes) and once with
 * no page open, each run on a local platform of its own (onPlatform). The makespan is the run
 * head's `endedAt` minus the moment the run was requested.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import type { BrowserContext } from 'playwright-core';
import { startDashboard } from '../../../lib/dashboard/start';
import { requestRun } from '../../../lib/runs/run-client';
import { parseWorkflow } from '../../../lib/model/parse';
import { startPlatform } from '../../../lib/platform';
import { createRunStore, type StoreConfig } from '../../../lib/store/config';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';
import { deployRuntime } from '../../../lib/deploy/runtime';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import type { DeliveryClient, ManagementClient } from '../../../lib/openwhisk/client';

export interface LiveOptions { tasks: number; pairs: number; actionsDir: string }

export interface LiveSample { pair: number; pageOpen: boolean; runId: string; status: string; makespanMs: number; pageReads?: number; loadAverage: number }

export interface LiveResult {
  tasks: number;
  samples: LiveSample[];
  /** Median makespans and their ratio (page open / no page). */
  withPageMs: number;
  withoutPageMs: number;
  ratio: number;
  /** Per pair, page open / no page. */
  pairRatios: number[];
}

const WORKFLOW = parseWorkflow(`
name: live-bench
stages:
  - { id: fan, kind: map, action: live-bench-noop, items: $.items }
  - { id: gather, kind: reduce, action: live-bench-noop }
`);

const NOOP_CODE = 'function main() { return {}; }';
/** The orchestrator and task conductor wait on the store and the controller: many activations share a container (the native bench's setting). */
const WHISKFLOW_CONCURRENCY = 32;

type Client = ManagementClient & DeliveryClient & openwhisk.Client;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Bench { client: Client; store: ReturnType<typeof createRunStore>; runUrl: (runId: string) => string }

/**
 * A local platform of its own for one measured run (whiskflow deployed, its actions warmed by a
 * 20-task run): runs on a platform that already ran a wide map were seen to stall at this load
 * (claims waiting out their lease), which says nothing of the page; each sample starts alike.
 */
async function onPlatform<T>(actionsDir: string, body: (bench: Bench) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-bench-live-'));
  const platform = await startPlatform({ port: 0, dataDir, runtime: { maxContainers: 48 } });
  const storeConfig: StoreConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
  const store = createRunStore(storeConfig);
  const dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname: 'whiskflow' });
  try {
    await store.ensureReady();
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as Client;
    await deployRuntime(client, storeConfig, actionsDir);
    for (const name of ['whiskflow/orchestrator', 'whiskflow/task']) {
      const action = (await client.actions.get({ name })) as unknown as { exec: object; annotations: object[]; parameters: object[]; limits: Record<string, number> };
      await client.actions.update({ name, action: { exec: action.exec, annotations: action.annotations, parameters: action.parameters, limits: { ...action.limits, concurrency: WHISKFLOW_CONCURRENCY } } } as never);
    }
    await client.actions.update({ name: 'live-bench-noop', action: { exec: { kind: 'nodejs:20', code: NOOP_CODE } } } as never);
    await deployWorkflow(client, store, WORKFLOW);
    return await body({ client, store, runUrl: (runId) => dashboard.runUrl(runId) });
  } finally {
    dashboard.stop();
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function measureLiveOverhead(context: BrowserContext, options: LiveOptions, log: (line: string) => void): Promise<LiveResult> {
  const workflow = WORKFLOW;
  const runOnce = async ({ client, store, runUrl }: Bench, tasks: number, pageOpen: boolean): Promise<Omit<LiveSample, 'pair'>> => {
    const loadAverage = os.loadavg()[0]!;
    const t0 = Date.now();
    const { runId } = await requestRun(client, workflow.name, { items: Array.from({ length: tasks }, (_, i) => i) });
    const page = pageOpen ? await context.newPage() : undefined;
    await page?.goto(runUrl(runId));
    const deadline = Date.now() + 120_000 + tasks * 300;
    let run: RunDoc | undefined;
    // The run head alone, every 500 ms: the bench's own reads stay small and the same in both cases.
    for (;;) {
      run = await store.get<RunDoc>(docIds.run(runId));
      if (run && run.status !== 'running') break;
      if (Date.now() > deadline) throw new Error(`run ${runId} of ${tasks} tasks still running at the deadline`);
      await sleep(500);
    }
    const reads = page ? Number(await page.locator('article').getAttribute('data-reads').catch(() => null)) : undefined;
    await page?.close();
    return { pageOpen, runId, status: run.status, makespanMs: (run.endedAt ?? Number.NaN) - t0, ...(reads !== undefined ? { pageReads: reads } : {}), loadAverage };
  };
  const samples: LiveSample[] = [];
  for (let pair = 1; pair <= options.pairs; pair += 1) {
    // Alternate which goes first, so that a drift of the machine's load falls on both alike.
    const order = pair % 2 === 1 ? [true, false] : [false, true];
    for (const pageOpen of order) {
      const sample = { pair, ...await onPlatform(options.actionsDir, async (bench) => {
        await runOnce(bench, 20, false);
        await sleep(2000);
        return runOnce(bench, options.tasks, pageOpen);
      }) };
      samples.push(sample);
      log(`  pair ${pair}, page ${pageOpen ? 'open' : 'closed'}: ${sample.status} in ${sample.makespanMs} ms${sample.pageReads !== undefined ? ` (${sample.pageReads} page reads)` : ''}, load ${sample.loadAverage.toFixed(1)}`);
    }
  }
  const withPage = samples.filter((s) => s.pageOpen).map((s) => s.makespanMs);
  const withoutPage = samples.filter((s) => !s.pageOpen).map((s) => s.makespanMs);
  const pairRatios = Array.from({ length: options.pairs }, (_, i) => {
    const of = (open: boolean) => samples.find((s) => s.pair === i + 1 && s.pageOpen === open)!.makespanMs;
    return Math.round((of(true) / of(false)) * 1000) / 1000;
  });
  return {
    tasks: options.tasks, samples, withPageMs: median(withPage), withoutPageMs: median(withoutPage),
    ratio: Math.round((median(withPage) / median(withoutPage)) * 1000) / 1000, pairRatios,
  };
}
