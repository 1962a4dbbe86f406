/**
 * `run --wait`'s progress bar (lib/cli/progress.ts): each stage's bar has that stage's task count as
 * its total from the start (a map's is its item count), so it never grows while it fills.
 */
import { Writable } from 'node:stream';
import type { RunView, StageView } from '../../../lib/runs/run-view';
import { StageProgress } from '../../../lib/cli/progress';
import type { RunDoc } from '../../../lib/store/run-documents';

const stage = (position: number, stageId: string, taskCount: number, completed: number, failed = 0): StageView =>
  ({ position, stageId, startedAt: 0, taskCount, completed, failed, tasks: [] });
const view = (...stages: StageView[]): RunView => ({ run: { runId: 'r', workflow: 'w', status: 'running' } as RunDoc, stages, progress: { done: 0, total: 0 } });

it('shows each stage against its own task count', () => {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } });
  const progress = new StageProgress({ stream: stream as unknown as NodeJS.WriteStream, noTTYOutput: true, notTTYSchedule: 0, fps: 1000, synchronousUpdate: true });
  progress.update(view(stage(0, 'partial-sums', 5, 0)));
  progress.update(view(stage(0, 'partial-sums', 5, 3)));
  progress.update(view(stage(0, 'partial-sums', 5, 4, 1)));
  progress.update(view(stage(0, 'partial-sums', 5, 5), stage(1, 'total', 1, 0)));
  progress.update(view(stage(0, 'partial-sums', 5, 5), stage(1, 'total', 1, 1)));
  progress.stop();
  const shown = [...text.matchAll(/stage (\S+) \[[^\]]*\] (\d+)\/(\d+) tasks/g)].map((match) => `${match[1]} ${match[2]}/${match[3]}`);
  expect(shown.length).toBeGreaterThan(0);
  expect(shown.filter((line) => line.startsWith('partial-sums')).every((line) => line.endsWith('/5'))).toBe(true);
  expect(shown).toContain('partial-sums 5/5');
  expect(shown.at(-1)).toBe('total 1/1');
});
