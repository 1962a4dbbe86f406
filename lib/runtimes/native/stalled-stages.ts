/**
 * Stages whose follow-ups were lost: the sweep's repair of a crash *between* two steps of the
 * orchestrator, when no event will come again to repeat them.
 *
 * An orchestrator activation that created a task's `result/…` and died before it claimed the map's
 * next element (`index + window`), or before it checked the join, leaves every document consistent
 * but nothing in flight: no activation will ever report again, so no event repeats the follow-ups.
 * Likewise a transition realized without its first tasks' claims (claims that did not travel with
 * the transition). The orchestrator repeats the follow-ups of what it sees when the same completion
 * comes again (its `result/…` create is refused, and it goes on from the stored result), so the
 * repair is to fire that completion again: a stored outcome, re-reported with its attempt's event id.
 *
 * This module decides *which* completions, from the stage's claims and result ids (pure).
 */
import { nextInWindow } from '../../model/workflow';

/** A stored claim, as far as the decision needs it. */
export interface ClaimSeen { index: number; attempt: number }

export interface StalledFollowUps {
  /** Results of this stage whose completion is fired again (their successor was never claimed, or the join never ran). */
  refire: number[];
  /** Tasks of the first window without a claim: the previous stage's completion realizes them again. */
  unclaimedStart: boolean;
  /**
   * Every task is recorded and the stage is still current: the join (or the transition after it)
   * was lost. The sweep fires again the last result of each bucket without its joined marker (a
   * bucket's marker is only created by a completion in it), or the last result when all have one.
   */
  join: boolean;
}

/**
 * `taskCount` and `window` of the current stage; `claimed` the indexes with a claim; `reported` the
 * indexes with a result. Returns nothing to do while a task without a result is still claimed (it
 * will report, and its report repeats the follow-ups) — so a repair never races a live stage.
 */
export function stalledFollowUps(stage: { taskCount: number; window: number }, claimed: ReadonlySet<number>, reported: ReadonlySet<number>): StalledFollowUps {
  const none: StalledFollowUps = { refire: [], unclaimedStart: false, join: false };
  for (const index of claimed) if (!reported.has(index)) return none;
  const window = Math.max(1, Math.min(stage.window || stage.taskCount, stage.taskCount));
  let unclaimedStart = false;
  for (let index = 0; index < window; index++) if (!claimed.has(index) && !reported.has(index)) unclaimedStart = true;
  const refire: number[] = [];
  for (const index of reported) {
    const next = nextInWindow(index, window, stage.taskCount);
    if (next !== undefined && !claimed.has(next) && !reported.has(next)) refire.push(index);
  }
  const join = refire.length === 0 && !unclaimedStart && reported.size >= stage.taskCount && stage.taskCount > 0;
  return { refire: refire.sort((a, b) => a - b), unclaimedStart, join };
}

/**
 * For a lost join: the results to fire again, given the stage's result ids and joined marker ids —
 * the last result of each bucket that has no marker, else the last result of all.
 */
export function joinRefires(resultIds: readonly string[], joinedIds: readonly string[]): number[] {
  const lastOfBucket = new Map<string, number>();
  for (const id of resultIds) {
    const [bucket = '', index = ''] = id.split('/').slice(-2);
    lastOfBucket.set(bucket, Math.max(lastOfBucket.get(bucket) ?? -1, Number(index)));
  }
  const marked = new Set(joinedIds.map((id) => id.slice(id.lastIndexOf('/') + 1)));
  const unmarked = [...lastOfBucket].filter(([bucket]) => !marked.has(bucket)).map(([, index]) => index);
  // One bucket needs no marker; several all marked (or one left) need the stage's completion checked again.
  if (lastOfBucket.size === 1 || unmarked.length === 0) return lastOfBucket.size === 0 ? [] : [Math.max(...lastOfBucket.values())];
  return unmarked.sort((a, b) => a - b);
}
