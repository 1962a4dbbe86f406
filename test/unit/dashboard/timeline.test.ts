import { timelineOf, type TimedStage } from '../../../lib/dashboard/model/timeline';

describe('timelineOf', () => {
  it('draws one bar per attempt: retried ones end when the next starts, outcomes end the last', () => {
    const stages: TimedStage[] = [
      {
        position: 2, stageId: 'breaks', startedAt: 100, taskCount: 1, completed: 0, failed: 1, endedAt: 400,
        tasks: [{ index: 0, attempts: [{ attempt: 2, invokedAt: 250 }, { attempt: 1, invokedAt: 110 }, { attempt: 3, invokedAt: 330 }], outcome: { ok: false, attempt: 3, completedAt: 400, error: 'whiskflow.Timeout' } }],
      },
      {
        position: 1, stageId: 'first', startedAt: 10, taskCount: 2, completed: 1, failed: 0,
        tasks: [{ index: 0, attempts: [{ attempt: 1, invokedAt: 20 }], outcome: { ok: true, attempt: 1, completedAt: 90 } }, { index: 1, attempts: [{ attempt: 1 }] }],
      },
    ];
    const model = timelineOf(stages, 1000);
    expect(model.lanes.map((l) => [l.stageId, l.attempts, l.retried, l.timeouts, l.rows])).toEqual([['first', 2, 0, 0, 2], ['breaks', 3, 2, 1, 1]]);
    expect(model.bars).toEqual([
      { lane: 0, row: 1, index: 0, attempt: 1, start: 20, end: 90, status: 'succeeded' },
      { lane: 0, row: 0, index: 1, attempt: 1, start: 10, status: 'running' },
      { lane: 1, row: 0, index: 0, attempt: 1, start: 110, end: 250, status: 'retried' },
      { lane: 1, row: 0, index: 0, attempt: 2, start: 250, end: 330, status: 'retried' },
      { lane: 1, row: 0, index: 0, attempt: 3, start: 330, end: 400, status: 'timeout' },
    ]);
    // A running attempt stretches the timeline to now.
    expect([model.start, model.end]).toEqual([10, 1000]);
  });

  it('keeps 10,000 attempts as 10,000 bars and an empty run as an empty span', () => {
    const wide: TimedStage = {
      position: 1, stageId: 'map', startedAt: 0, taskCount: 10_000, completed: 10_000, failed: 0, endedAt: 20_000,
      tasks: Array.from({ length: 10_000 }, (_, index) => ({ index, attempts: [{ attempt: 1, invokedAt: index }], outcome: { ok: true, attempt: 1, completedAt: index + 50 } })),
    };
    const model = timelineOf([wide], 0);
    expect(model.bars).toHaveLength(10_000);
    // 50 ms each, one started every 1 ms: 50 run at once, so 50 rows.
    expect(model.lanes[0]!.rows).toBe(50);
    const crowded = timelineOf([{ ...wide, tasks: wide.tasks.map((task) => ({ ...task, attempts: [{ attempt: 1, invokedAt: 0 }], outcome: { ok: true, attempt: 1, completedAt: 100 } })) }], 0);
    expect(crowded.lanes[0]!.rows).toBe(200);
    expect(timelineOf([], 5)).toEqual({ start: 5, end: 5, lanes: [], bars: [] });
  });
});
