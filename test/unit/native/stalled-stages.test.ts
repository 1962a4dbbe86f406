/** Which stored completions the sweep fires again when the steps after them were lost. */
import { stalledFollowUps } from '../../../lib/engine/native/stalled-stages';

const set = (...indexes: number[]) => new Set(indexes);

describe('stalledFollowUps', () => {
  it('does nothing while a claimed task has no result: its report will repeat the follow-ups', () => {
    expect(stalledFollowUps({ taskCount: 4, window: 2 }, set(0, 1, 2), set(0, 1))).toEqual({ refire: [], unclaimedStart: false });
  });

  it('fires the results whose successor in the window was never claimed', () => {
    expect(stalledFollowUps({ taskCount: 5, window: 2 }, set(0, 1, 2), set(0, 1, 2))).toEqual({ refire: [1, 2], unclaimedStart: false });
  });

  it('fires the last result when every task is recorded but the stage is still current (the join was lost)', () => {
    expect(stalledFollowUps({ taskCount: 3, window: 100 }, set(0, 1, 2), set(0, 1, 2))).toEqual({ refire: [2], unclaimedStart: false });
    expect(stalledFollowUps({ taskCount: 1, window: 1 }, set(0), set(0))).toEqual({ refire: [0], unclaimedStart: false });
  });

  it('says when tasks of the first window were never claimed (the transition was realized without them)', () => {
    expect(stalledFollowUps({ taskCount: 3, window: 3 }, set(), set())).toEqual({ refire: [], unclaimedStart: true });
    expect(stalledFollowUps({ taskCount: 3, window: 3 }, set(0), set(0))).toEqual({ refire: [], unclaimedStart: true });
  });

  it('a window of 0 (unbounded) counts as the whole stage', () => {
    expect(stalledFollowUps({ taskCount: 2, window: 0 }, set(0, 1), set(0, 1))).toEqual({ refire: [1], unclaimedStart: false });
  });
});
