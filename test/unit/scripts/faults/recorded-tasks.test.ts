/**
 * The fault harness's account of a succeeded streaming run: a choice loop that ran each of its tasks
 * once records every task (it was counted as all lost, the loop's branch bound to the map's `if`).
 */
import { streamingRecordedTasks } from '../../../../scripts/faults/lib/trial';
import { runCounts, workload } from '../../../../scripts/faults/lib/workloads';

test('a succeeded choice loop records each task that ran', () => {
  const loop = workload('choice', 20);
  const counts = runCounts(loop.taskIds().map((id) => `${id}\n`).join(''));
  expect(streamingRecordedTasks(loop, { task: 's19', n: 20 }, counts)).toEqual(loop.taskIds());
});

test('a map records the tasks its output names, including one named twice', () => {
  const map = workload('map', 3);
  const output = [{ task: 'm0', i: 0 }, { task: 'm1', i: 1 }, { task: 'm1', i: 2 }];
  expect(streamingRecordedTasks(map, output, new Map())).toEqual(['m0', 'm1', 'm1']);
});

test('a sequence workload is N task stages in a row, each counted once when the run succeeded', () => {
  const sequence = workload('sequence', 20);
  expect(sequence.yaml.match(/kind: task/g)).toHaveLength(20);
  expect(sequence.yaml).toContain('id: s19');
  const counts = runCounts(sequence.taskIds().map((id) => `${id}\n`).join(''));
  expect(streamingRecordedTasks(sequence, { task: 's19', n: 20 }, counts)).toEqual(sequence.taskIds());
});
