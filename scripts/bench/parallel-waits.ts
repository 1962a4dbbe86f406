/**
 * The research prototype's headline workload on the DEFAULT local pool: examples/parallel-waits with
 * 80 `wait` tasks of 20 s each, started at once and joined by `count`, under the native orchestrator
 * on a local platform started with no runtime options (so with the default user memory). Reports the
 * makespan (run start to run end, as the run record has them), the most containers held at once and
 * what a container really uses (PSS and RSS), which is what the default pool size rests on.
 *
 *   npm run build && node dist/scripts/bench/parallel-waits.js [--tasks 80] [--wait-ms 20000] [--user-memory <mb>]
 *     [--whiskflow-concurrency <n>]
 *
 * `--user-memory` runs the same on a pool of that size instead (e.g. 8192, the default before, or an
 * invoker's 2048) for comparison. Writes bench-results/parallel-waits.json. Reports, never asserts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import openwhisk from 'openwhisk';
import { positiveInteger } from '../../lib/cli/options';
import { requestRun, waitForRun } from '../../lib/runs/run-client';
import { describeRun } from '../../lib/runs/run-view';
import { parseWorkflow } from '../../lib/model/parse';
import { defaultUserMemoryMb } from '../../lib/platform/runtime';
import { createRunStore, type StoreConfig } from '../../lib/store/config';
import { deployActionFile } from '../../lib/deploy/action-file';
import { deployRuntime } from '../../lib/deploy/runtime';
import { deployWorkflow } from '../../lib/deploy/workflow';
import type { ManagementClient } from '../../lib/openwhisk/client';
import type { DeliveryClient } from '../../lib/openwhisk/client';
import { startChildPlatform } from './lib/child-platform';
import { commandLine, descendants, pssBytes, rssBytes } from './lib/proc';
import { hostInfo, printTargets, target, writeReport, type BenchReport } from './lib/report';
import { summarize } from './lib/stats';

const ROOT = join(__dirname, '../../..');
const EXAMPLE = join(ROOT, 'examples', 'parallel-waits');

interface Options {
  tasks: number;
  waitMs: number;
  userMemory?: number;
  whiskflowConcurrency?: number;
  out: string;
}

async function main(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const userMemoryMb = options.userMemory ?? defaultUserMemoryMb();
  console.log(`parallel-waits: ${options.tasks} × ${options.waitMs} ms on a pool of ${userMemoryMb} MB (${options.userMemory ? '--user-memory' : 'the default'})`);
  const platform = await startChildPlatform(join(__dirname, 'platform-server.js'), {
    platformOptions: options.userMemory ? { runtime: { userMemoryMb: options.userMemory } } : {},
  });
  let peakContainers = 0;
  let peakBusy = 0;
  const residentMb: number[] = [];
  const proportionalMb: number[] = [];
  let sampling: NodeJS.Timeout | undefined;
  try {
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as ManagementClient & DeliveryClient;
    const storeConfig: StoreConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
    const store = createRunStore(storeConfig);
    await store.ensureReady();
    await deployRuntime(client, storeConfig, join(ROOT, 'dist', 'actions'),
      options.whiskflowConcurrency ? { concurrency: options.whiskflowConcurrency } : {});
    await deployActionFile(client, { file: join(EXAMPLE, 'actions.js'), packageName: 'waits' });
    const workflow = parseWorkflow(readFileSync(join(EXAMPLE, 'workflow.yaml'), 'utf8'));
    await deployWorkflow(client, store, workflow);

    const MB = 1024 * 1024;
    sampling = setInterval(() => {
      platform.stats().then((stats) => {
        peakContainers = Math.max(peakContainers, stats.containers);
        peakBusy = Math.max(peakBusy, stats.busy);
      }).catch(() => undefined);
      // The containers are the platform's children running the action proxy.
      for (const pid of descendants(platform.pid)) {
        if (!commandLine(pid).includes('runtime/proxy')) continue;
        const rss = rssBytes(pid);
        const pss = pssBytes(pid);
        if (rss) residentMb.push(rss / MB);
        if (pss) proportionalMb.push(pss / MB);
      }
    }, 1000);

    const input = { waits: Array.from({ length: options.tasks }, () => ({ ms: options.waitMs })) };
    const { runId } = await requestRun(client, workflow.name, input);
    // A run whose task could not get a container waits for a sweep: give up after a few waits' time.
    const run = await waitForRun(store, runId, { timeoutMs: 180_000 + 5 * options.waitMs }).catch(async (error: unknown) => {
      console.error(`  ${error instanceof Error ? error.message : String(error)}`);
      return (await describeRun(store, runId, false))?.run;
    });
    clearInterval(sampling);
    sampling = undefined;

    const status = run?.status ?? 'not started';
    const makespanS = run?.endedAt !== undefined ? (run.endedAt - run.startedAt) / 1000 : null;
    const correct = status === 'succeeded'
      && JSON.stringify(run?.output) === JSON.stringify({ joined: options.tasks, waitedInAll: options.tasks * options.waitMs });
    const resident = summarize(residentMb);
    const proportional = summarize(proportionalMb);
    console.log(`  ${status}, makespan ${makespanS?.toFixed(1) ?? '-'} s; at most ${peakContainers} containers (${peakBusy} busy); per container: PSS p50 ${proportional.p50.toFixed(0)} MB (max ${proportional.max.toFixed(0)}), RSS p50 ${resident.p50.toFixed(0)} MB`);

    // All tasks at once: the makespan is one wait plus the orchestration, not several waves.
    const oneWaveS = options.waitMs / 1000;
    const targets = [
      target('the fan-out runs in one wave', `makespan < ${(oneWaveS * 1.5).toFixed(0)} s (one wait of ${oneWaveS} s, not ${Math.ceil(options.tasks / 32)} waves)`, makespanS, makespanS !== null && makespanS < oneWaveS * 1.5),
      target('the run succeeds with the expected join', `{ joined: ${options.tasks} }`, status, correct),
    ];
    printTargets(targets);
    const report: BenchReport = {
      benchmark: 'parallel-waits',
      startedAt,
      finishedAt: new Date().toISOString(),
      host: hostInfo(),
      options: { ...options, userMemoryMb, pool: options.userMemory ? 'user-memory' : 'default' },
      results: {
        runId,
        status,
        output: run?.output ?? null,
        failure: run?.failure ?? null,
        makespanS,
        peakContainers,
        peakBusyContainers: peakBusy,
        pssMbPerContainer: proportional,
        rssMbPerContainer: resident,
      },
      targets,
      notes: [
        `examples/parallel-waits under the native orchestrator, whiskflow actions at concurrency ${options.whiskflowConcurrency ?? 1}, 256 MB.`,
        'pssMbPerContainer / rssMbPerContainer: proportional and resident set size of each live container (a process running the action proxy), sampled every second during the run; RSS counts the node binary\'s shared pages in full for every container, PSS shares them out.',
      ],
    };
    console.log(`  wrote ${writeReport(options.out, report)}`);
  } finally {
    if (sampling) clearInterval(sampling);
    await platform.stop();
  }
}

const program = new Command('parallel-waits')
  .description('examples/parallel-waits (80 × 20 s by default) on the default local pool: makespan, containers, memory')
  .option('--tasks <n>', 'parallel wait tasks', positiveInteger, 80)
  .option('--wait-ms <ms>', 'how long each task waits', positiveInteger, 20_000)
  .option('--user-memory <mb>', 'run on a pool of this user memory instead of the default', positiveInteger)
  .option('--whiskflow-concurrency <n>', 'limits.concurrency of the whiskflow actions (whiskflow deploy --concurrency); default 1', positiveInteger)
  .option('--out <file>', 'JSON report path', 'bench-results/parallel-waits.json');
program.parse();

main(program.opts<Options>()).catch((error: unknown) => {
  console.error(`parallel-waits failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
