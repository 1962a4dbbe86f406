import { timelineOf, type TimedStage } from '../../../lib/dashboard/model/timeline';
import { packTimeline, unpackTimeline } from '../../../lib/dashboard/model/timeline-wire';

describe('the timeline on the wire', () => {
  const stages: TimedStage[] = [
    {
      seq: 1, stageId: 'breaks', startedAt: 100, taskCount: 2, completed: 0, failed: 1,
      tasks: [
        { index: 0, attempts: [{ attempt: 1, invokedAt: 110 }, { attempt: 2, invokedAt: 250 }], outcome: { ok: false, attempt: 2, completedAt: 400, error: 'whiskflow.Timeout' } },
        { index: 1, attempts: [{ attempt: 1, invokedAt: 120 }] },
      ],
    },
  ];

  it('packs bars into one array per field and unpacks them to the same model', () => {
    const model = timelineOf(stages, 1000);
    const packed = packTimeline(model);
    expect(packed.bars.status.length).toBe(model.bars.length);
    expect(packed.bars.end).toContain(-1);
    expect(unpackTimeline(JSON.parse(JSON.stringify(packed)) as typeof packed)).toEqual(model);
  });

  it('takes far fewer bytes than one object per bar for a wide map', () => {
    const wide: TimedStage = {
      seq: 1, stageId: 'map', startedAt: 1_765_000_000_000, taskCount: 10_000, completed: 10_000, failed: 0,
      tasks: Array.from({ length: 10_000 }, (_, index) => ({ index, attempts: [{ attempt: 1, invokedAt: 1_765_000_000_000 + index * 3 }], outcome: { ok: true, attempt: 1, completedAt: 1_765_000_000_200 + index * 3 } })),
    };
    const model = timelineOf([wide], 0);
    expect(JSON.stringify(packTimeline(model)).length).toBeLessThan(JSON.stringify(model).length / 2.5);
  });
});
