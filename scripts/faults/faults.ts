/**
 * Fault injection: kills whiskflow's components with SIGKILL at random points of running workflows
 * and checks that every run still finishes with each task's outcome recorded exactly once.
 *
 *   node dist/scripts/faults/faults.js [--targets native-platform,streaming-engine-redis,...]
 *     [--workloads map,choice] [--sizes 400,1000] [--trials 3] [--seed 1] [--out file.json]
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
import { hostInfo, printTargets, target, writeReport, type BenchReport } from '../bench/lib/report';
import { runTrial, TARGETS, type FaultTarget, type TrialResult } from './lib/trial';
import { workload, type WorkloadKind } from './lib/workloads';

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
    .option('--workloads <list>', 'comma-separated: map,choice', choiceList<WorkloadKind>(['map', 'choice']), ['map', 'choice'] as WorkloadKind[])
    .option('--sizes <list>', 'tasks per map (a choice loop runs a tenth as many, at least 20)', numberList(positiveInteger), [400, 1000])
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
  for (const faultTarget of options.targets) {
    for (const kind of options.workloads) {
      for (const size of sizes) {
        const load = workload(kind, kind === 'map' ? size : Math.max(20, Math.round(size / 10)));
        for (let trial = 1; trial <= options.trials; trial++) {
          console.log(`${faultTarget} ${load.workflow} trial ${trial}`);
          const result = await runTrial({ target: faultTarget, workload: load, trial, finishTimeoutMs: options.finishTimeout, random, log: (line) => console.log(line) });
          console.log(`  ${result.status}, completed ${result.completed}, lost ${result.tasksLost}, run twice ${result.tasksRunTwice}, recorded twice ${result.resultsRecordedTwice}, recovery ${result.recoveryMs ?? '-'} ms${result.error ? `, error: ${result.error}` : ''}`);
          trials.push(result);
        }
      }
    }
  }
  const byTarget = Object.fromEntries(options.targets.map((name) => {
    const mine = trials.filter((trial) => trial.target === name);
    const recoveries = mine.flatMap((trial) => (trial.recoveryMs === null ? [] : [trial.recoveryMs])).sort((a, b) => a - b);
    return [name, {
      trials: mine.length,
      runsCompleted: mine.filter((trial) => trial.completed).length,
      tasksLost: mine.reduce((sum, trial) => sum + trial.tasksLost, 0),
      tasksRunTwice: mine.reduce((sum, trial) => sum + trial.tasksRunTwice, 0),
      resultsRecordedTwice: mine.reduce((sum, trial) => sum + trial.resultsRecordedTwice, 0),
      recoveryMs: { median: recoveries[Math.floor(recoveries.length / 2)] ?? null, max: recoveries.at(-1) ?? null },
    }];
  }));
  const all = Object.values(byTarget);
  const completed = all.reduce((sum, item) => sum + item.runsCompleted, 0);
  const targets = [
    target('runs completed', '100%', trials.length === 0 ? null : completed / trials.length, completed === trials.length),
    target('tasks lost', '0', all.reduce((sum, item) => sum + item.tasksLost, 0), all.every((item) => item.tasksLost === 0)),
    target('results recorded twice', '0', all.reduce((sum, item) => sum + item.resultsRecordedTwice, 0), all.every((item) => item.resultsRecordedTwice === 0)),
  ];
  const report: BenchReport = {
    benchmark: 'faults', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), host: hostInfo(),
    options: { ...options, sizes },
    results: { byTarget, trials },
    targets,
    notes: [
      'tasks run twice counts tasks whose action ran more than once (at-least-once effects: a task running at the crash, or whose completion died with its orchestrator, runs again); results recorded twice must stay 0',
      'native-couch kills only the embedded CouchDB; the harness restarts nothing, so the run finishes only if the platform brings its CouchDB back',
    ],
  };
  const file = writeReport(options.out ?? `bench-results/faults-${startedAt.toISOString().slice(0, 10)}.json`, report);
  console.log(JSON.stringify(byTarget, null, 2));
  printTargets(targets);
  console.log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
