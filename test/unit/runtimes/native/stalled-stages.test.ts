/** Which stored completions the sweep fires again when the steps after them were lost. */
import { joinRefires, stalledFollowUps } from '../../../../lib/runtimes/native/stalled-stages';

const set = (...indexes: number[]) => new Set(indexes);

describe('stalledFollowUps', () => {
  it('does nothing while a claimed task has no result: its report will repeat the follow-ups', () => {
    expect(stalledFollowUps({ taskCount: 4, window: 2 }, set(0, 1, 2), set(0, 1))).toEqual({ refire: [], unclaimedStart: false, join: false });
  });

  it('fires the results whose successor in the window was never claimed', () => {
    expect(stalledFollowUps({ taskCount: 5, window: 2 }, set(0, 1, 2), set(0, 1, 2))).toEqual({ refire: [1, 2], unclaimedStart: false, join: false });
  });

  it('says when every task is recorded but the stage is still current (the join was lost)', () => {
    expect(stalledFollowUps({ taskCount: 3, window: 100 }, set(0, 1, 2), set(0, 1, 2))).toEqual({ refire: [], unclaimedStart: false, join: true });
    expect(stalledFollowUps({ taskCount: 1, window: 1 }, set(0), set(0))).toEqual({ refire: [], unclaimedStart: false, join: true });
  });

  it('for a lost join, fires the last result of each bucket without its marker, else the last result', () => {
    const ids = ['0000/000000', '0000/000001', '0001/000002', '0001/000003', '0002/000004'].map((tail) => `result/r1/0000/${tail}`);
    expect(joinRefires(ids, ['joined/r1/0000/0001'])).toEqual([1, 4]);
    expect(joinRefires(ids, ['0000', '0001', '0002'].map((bucket) => `joined/r1/0000/${bucket}`))).toEqual([4]);
    expect(joinRefires(ids.slice(0, 2), [])).toEqual([1]);
    expect(joinRefires([], [])).toEqual([]);
  });

  it('says when tasks of the first window were never claimed (the transition was realized without them)', () => {
    expect(stalledFollowUps({ taskCount: 3, window: 3 }, set(), set())).toEqual({ refire: [], unclaimedStart: true, join: false });
    expect(stalledFollowUps({ taskCount: 3, window: 3 }, set(0), set(0))).toEqual({ refire: [], unclaimedStart: true, join: false });
  });

  it('a window of 0 (unbounded) counts as the whole stage', () => {
    expect(stalledFollowUps({ taskCount: 2, window: 0 }, set(0, 1), set(0, 1))).toEqual({ refire: [], unclaimedStart: false, join: true });
  });
});
