/**
 * `whiskflow engine` killed with SIGKILL mid-map and started again (same consumer name, same
 * Redis): the run resumes from its checkpoints and finishes with every task's result once. Drives
 * the fault harness's trial (scripts/faults/lib/trial.ts): `whiskflow local`, the engine and Redis
 * as separate processes, the CLI to deploy and run, the counting action's file to count task runs.
 * Runs the compiled CLI (`npm run build` first); needs redis-server (a missing one fails the test).
 */
import { runTrial } from '../../../../scripts/faults/lib/trial';
import { workload } from '../../../../scripts/faults/lib/workloads';

jest.setTimeout(900_000);

test('a kill -9 of the engine mid-map: the restarted engine finishes the run, no task lost, no result recorded twice', async () => {
  const lines: string[] = [];
  // Kill once a quarter to three quarters of the tasks have started.
  let draws = 0;
  const result = await runTrial({
    target: 'streaming-engine-redis', workload: workload('map', 150), trial: 1, finishTimeoutMs: 600_000,
    random: () => [0.3, 0.8][draws++ % 2] ?? 0.5, log: (line) => lines.push(line),
  });
  expect(result.error).toBeUndefined();
  expect(result.killedAfterTaskRuns).toBeGreaterThan(0);
  expect(result.killedAfterTaskRuns).toBeLessThan(150);
  expect(result).toMatchObject({ status: 'succeeded', completed: true, tasksLost: 0, resultsRecordedTwice: 0 });
});
