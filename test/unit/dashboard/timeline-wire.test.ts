import { taskBars, type TimedStage } from '../../../lib/dashboard/model/timeline';
import { packBars, unpackBars } from '../../../lib/dashboard/model/timeline-wire';

describe('a page of timeline bars on the wire', () => {
  const stage: TimedStage = {
    position: 1, stageId: 'breaks', startedAt: 100, taskCount: 2, completed: 0, failed: 1,
    tasks: [
      { index: 0, attempts: [{ attempt: 1, invokedAt: 110 }, { attempt: 2, invokedAt: 250 }], outcome: { ok: false, attempt: 2, completedAt: 400, error: 'whiskflow.Timeout' } },
      { index: 1, attempts: [{ attempt: 1, invokedAt: 120 }] },
    ],
  };

  it('packs bars into one array per field and unpacks them to the same bars', () => {
    const bars = stage.tasks.flatMap((task) => taskBars(task, stage.startedAt, 3));
    expect(bars.map((bar) => bar.status)).toEqual(['retried', 'timeout', 'running']);
    const packed = packBars({ position: 1, from: 0, to: 2, settled: false }, bars);
    expect(packed.bars.status.length).toBe(bars.length);
    expect(packed.bars.end).toContain(-1);
    expect(unpackBars(JSON.parse(JSON.stringify(packed)) as typeof packed, 3)).toEqual(bars);
  });

  it('takes far fewer bytes than one object per bar for a page of a wide map', () => {
    const tasks: TimedStage['tasks'] = Array.from({ length: 1000 }, (_, index) => ({ index, attempts: [{ attempt: 1, invokedAt: 1_765_000_000_000 + index * 3 }], outcome: { ok: true, attempt: 1, completedAt: 1_765_000_000_200 + index * 3 } }));
    const bars = tasks.flatMap((task) => taskBars(task, 1_765_000_000_000, 0));
    expect(JSON.stringify(packBars({ position: 1, from: 0, to: 1000, settled: true }, bars)).length).toBeLessThan(JSON.stringify(bars).length / 2.5);
  });
});
