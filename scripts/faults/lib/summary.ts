/** The fault report: per-target sums of the trials and the verdicts, shared by a run and by `merge`. */
import { target, type TargetVerdict } from '../../bench/lib/report';
import type { TrialResult } from './trial';

export interface TargetSummary {
  trials: number;
  /** Trials whose kill happened (a trial can fail before it: a broker or platform that did not start, a run too slow to reach the kill point). */
  kills: number;
  runsCompleted: number;
  tasksLost: number;
  tasksRunTwice: number;
  resultsRecordedTwice: number;
  recoveryMs: { median: number | null; max: number | null };
}

export const NOTES = [
  'tasks run twice counts tasks whose action ran more than once (at-least-once effects: a task running at the crash, or whose completion died with its orchestrator, runs again); results recorded twice must stay 0',
  'native-couch kills only the embedded CouchDB; the harness restarts nothing, so the run finishes only if the platform brings its CouchDB back',
];

export function summarize(trials: readonly TrialResult[]): { byTarget: Record<string, TargetSummary>; targets: TargetVerdict[] } {
  const names = [...new Set(trials.map((trial) => trial.target))];
  const byTarget = Object.fromEntries(names.map((name): [string, TargetSummary] => {
    const mine = trials.filter((trial) => trial.target === name);
    const recoveries = mine.flatMap((trial) => (trial.recoveryMs === null ? [] : [trial.recoveryMs])).sort((a, b) => a - b);
    return [name, {
      trials: mine.length,
      kills: mine.filter((trial) => trial.killedAfterTaskRuns > 0).length,
      runsCompleted: mine.filter((trial) => trial.completed).length,
      tasksLost: mine.reduce((sum, trial) => sum + trial.tasksLost, 0),
      tasksRunTwice: mine.reduce((sum, trial) => sum + trial.tasksRunTwice, 0),
      resultsRecordedTwice: mine.reduce((sum, trial) => sum + trial.resultsRecordedTwice, 0),
      recoveryMs: { median: recoveries[Math.floor(recoveries.length / 2)] ?? null, max: recoveries.at(-1) ?? null },
    }];
  }));
  const all = Object.values(byTarget);
  const completed = all.reduce((sum, item) => sum + item.runsCompleted, 0);
  // The bar: at least 50 kills, across both models (native and streaming targets).
  const kills = all.reduce((sum, item) => sum + item.kills, 0);
  const bothModels = names.some((name) => name.startsWith('native-')) && names.some((name) => name.startsWith('streaming-'));
  const targets = [
    target('kills across both models', '>= 50', kills, kills >= 50 && bothModels),
    target('runs completed', '100%', trials.length === 0 ? null : completed / trials.length, completed === trials.length),
    target('tasks lost', '0', all.reduce((sum, item) => sum + item.tasksLost, 0), all.every((item) => item.tasksLost === 0)),
    target('results recorded twice', '0', all.reduce((sum, item) => sum + item.resultsRecordedTwice, 0), all.every((item) => item.resultsRecordedTwice === 0)),
  ];
  return { byTarget, targets };
}
