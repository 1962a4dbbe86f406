/**
 * The fault report's verdicts: the bar is 100% of runs completed, nothing lost or recorded
 * twice, over at least 50 kills that span both models.
 */
import { summarize } from '../../../../scripts/faults/lib/summary';
import type { FaultTarget, TrialResult } from '../../../../scripts/faults/lib/trial';

function trial(target: FaultTarget, overrides: Partial<TrialResult> = {}): TrialResult {
  return {
    target, workload: 'faults-map-400', tasks: 400, trial: 1, killAtFraction: 0.5, killedAfterTaskRuns: 200,
    status: 'succeeded', completed: true, tasksLost: 0, tasksRunTwice: 0, extraTaskRuns: 0, resultsRecordedTwice: 0, recoveryMs: 1000,
    ...overrides,
  };
}

const verdict = (trials: TrialResult[], name: string) => summarize(trials).targets.find((item) => item.name === name);

test('50 completed kills across both models meet every target', () => {
  const trials = [...Array.from({ length: 25 }, () => trial('native-platform')), ...Array.from({ length: 25 }, () => trial('streaming-engine-redis'))];
  expect(summarize(trials).targets.every((item) => item.pass)).toBe(true);
  expect(verdict(trials, 'kills across both models')?.actual).toBe(50);
});

test('kills of one model only, or fewer than 50, do not meet the kills target', () => {
  expect(verdict(Array.from({ length: 60 }, () => trial('native-couch')), 'kills across both models')?.pass).toBe(false);
  expect(verdict([trial('native-couch'), trial('streaming-broker-kafka')], 'kills across both models')?.pass).toBe(false);
});

test('a trial that failed before its kill counts as a trial, not as a kill, and fails the completion target', () => {
  const trials = [...Array.from({ length: 50 }, () => trial('native-platform')), trial('streaming-broker-kafka'), trial('streaming-broker-kafka', { killedAfterTaskRuns: 0, completed: false, status: 'not finished', tasksLost: 400 })];
  const summary = summarize(trials);
  expect(summary.byTarget['streaming-broker-kafka']).toMatchObject({ trials: 2, kills: 1, runsCompleted: 1 });
  expect(verdict(trials, 'runs completed')?.pass).toBe(false);
  expect(verdict(trials, 'tasks lost')?.actual).toBe(400);
});
