/**
 * Joins the JSON of several fault runs (e.g. one per target, run side by side) into one report with
 * the sums recomputed from all their trials:
 *
 *   node dist/scripts/faults/merge.js --out bench-results/faults-<date>.json part1.json part2.json ...
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { hostInfo, printTargets, writeReport, type BenchReport } from '../bench/lib/report';
import { NOTES, summarize } from './lib/summary';
import type { TrialResult } from './lib/trial';

const program = new Command('faults-merge').requiredOption('--out <file>', 'the joined report').argument('<parts...>', 'reports written by faults.js');
program.parse();
const parts = program.args.map((file) => ({ file, report: JSON.parse(readFileSync(file, 'utf8')) as BenchReport & { results: { trials: TrialResult[] } } }));
const trials = parts.flatMap(({ report }) => report.results.trials);
const { byTarget, targets } = summarize(trials);
const report: BenchReport = {
  benchmark: 'faults',
  startedAt: parts.map(({ report: part }) => part.startedAt).sort()[0] ?? new Date().toISOString(),
  finishedAt: parts.map(({ report: part }) => part.finishedAt).sort().at(-1) ?? new Date().toISOString(),
  host: parts[0]?.report.host ?? hostInfo(),
  options: { parts: parts.map(({ file, report: part }) => ({ file, options: part.options })) },
  results: { byTarget, trials },
  targets,
  notes: NOTES,
};
console.log(JSON.stringify(byTarget, null, 2));
printTargets(targets);
console.log(`wrote ${writeReport(program.opts<{ out: string }>().out, report)}`);
