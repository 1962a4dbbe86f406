/**
 * Fault injection: kills whiskflow's components with SIGKILL at random points of running workflows
 * and checks that every run still finishes with each task's outcome recorded exactly once.
 *
 *   node dist/scripts/faults/faults.js [--targets native-platform,streaming-engine-redis,...]
 *     [--workloads map,choice,sequence] [--sizes 400,1000] [--trials 3] [--seed 1] [--out file.json]
 *
 * Targets (scripts/faults/lib/trial.ts): `native-platform` (the whole `whiskflow local` tree,
 * restarted on the same data dir and port), `native-couch` (its embedded CouchDB alone, not
 * restarted by the harness), `streaming-engine-<redis|kafka>` (a `whiskflow engine` process,
 * restarted), `streaming-broker-<redis|kafka>` (the broker, restarted on its port and data).
 * Per trial: runs completed, tasks lost, tasks run twice (the counting action's file), results
 * recorded twice (must be 0), recovery time. JSON into bench-results/faults-<date>.json or --out.
 */
import { Command } from 'commander';
import { positiveInteger } from '../../lib/cli/options';
import { choiceList, numberList } from '../bench/lib/option-lists';
import { hostInfo, printTargets, writeReport, type BenchReport } from '../bench/lib/report';
import { NOTES, summarize } from './lib/summary';
import { runTrial, TARGETS, type FaultTarget, type TrialResult } from './lib/trial';
import { workload, WORKLOAD_KINDS, type WorkloadKind } from './lib/workloads';

interface FaultOptions {
  targets: FaultTarget[];
  workloads: WorkloadKind[];
  sizes: number[];
  trials: number;
  seed: number;
  finishTimeout: number;
  out?: string;
}

/** A small seeded generator (mulberry32), so that a trial's kill points can be repeated. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  const program = new Command('faults')
    .option('--targets <list>', `comma-separated: ${TARGETS.join(',')}`, choiceList<FaultTarget>(TARGETS), ['native-platform', 'streaming-engine-redis'] as FaultTarget[])
    .option('--workloads <list>', `comma-separated: ${WORKLOAD_KINDS.join(',')}`, choiceList<WorkloadKind>(WORKLOAD_KINDS), ['map', 'choice', 'sequence'] as WorkloadKind[])
    .option('--sizes <list>', 'tasks per map (a choice loop or a sequence runs a tenth as many, at least 20)', numberList(positiveInteger), [400, 1000])
    .option('--trials <n>', 'trials per target, workload and size', positiveInteger, 3)
    .option('--seed <n>', 'seed of the kill points', positiveInteger, 1)
    .option('--finish-timeout <ms>', 'how long a run may take after the kill', positiveInteger, 600_000)
    .option('--out <file>', 'where the JSON goes (default: bench-results/faults-<date>.json)');
  program.parse();
  const options = program.opts<FaultOptions>();
  const random = seeded(options.seed);
  const startedAt = new Date();
  const { sizes } = options;
  const trials: TrialResult[] = [];
  const out = options.out ?? `bench-results/faults-${startedAt.toISOString().slice(0, 10)}.json`;
  // Written after every trial (`finished: false` until the last), so a run stopped early keeps what it measured.
  const write = (finished: boolean) => {
    const { byTarget, targets } = summarize(trials);
    const report: BenchReport = {
      benchmark: 'faults', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), host: hostInfo(),
      options: { ...options, sizes, finished },
      results: { byTarget, trials },
      targets,
      notes: NOTES,
    };
    return { file: writeReport(out, report), byTarget, targets };
  };
  for (const faultTarget of options.targets) {
    for (const kind of options.workloads) {
      for (const size of sizes) {
        const load = workload(kind, kind === 'map' ? size : Math.max(20, Math.round(size / 10)));
        for (let trial = 1; trial <= options.trials; trial++) {
          console.log(`${faultTarget} ${load.workflow} trial ${trial}`);
          const result = await runTrial({ target: faultTarget, workload: load, trial, finishTimeoutMs: options.finishTimeout, random, log: (line) => console.log(line) });
          console.log(`  ${result.status}, completed ${result.completed}, lost ${result.tasksLost}, run twice ${result.tasksRunTwice}, recorded twice ${result.resultsRecordedTwice}, recovery ${result.recoveryMs ?? '-'} ms${result.error ? `, error: ${result.error}` : ''}`);
          trials.push(result);
          write(false);
        }
      }
    }
  }
  const { file, byTarget, targets } = write(true);
  console.log(JSON.stringify(byTarget, null, 2));
  printTargets(targets);
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
