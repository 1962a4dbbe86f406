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

/** A stored claim, as far as the decision needs it. */
export interface ClaimSeen { index: number; attempt: number }

export interface StalledFollowUps {
  /** Results of this stage whose completion is fired again (their successor was never claimed, or the join never ran). */
  refire: number[];
  /** Tasks of the first window without a claim: the previous stage's completion realizes them again. */
  unclaimedStart: boolean;
}

/**
 * `taskCount` and `window` of the current stage; `claimed` the indexes with a claim; `reported` the
 * indexes with a result. Returns nothing to do while a task without a result is still claimed (it
 * will report, and its report repeats the follow-ups) — so a repair never races a live stage.
 */
export function stalledFollowUps(stage: { taskCount: number; window: number }, claimed: ReadonlySet<number>, reported: ReadonlySet<number>): StalledFollowUps {
  const none: StalledFollowUps = { refire: [], unclaimedStart: false };
  for (const index of claimed) if (!reported.has(index)) return none;
  const window = Math.max(1, Math.min(stage.window || stage.taskCount, stage.taskCount));
  let unclaimedStart = false;
  for (let index = 0; index < window; index++) if (!claimed.has(index) && !reported.has(index)) unclaimedStart = true;
  const refire: number[] = [];
  for (const index of reported) {
    const next = index + window;
    if (next < stage.taskCount && !claimed.has(next) && !reported.has(next)) refire.push(index);
  }
  // Everything reported and still the current stage: the join (or the transition after it) was lost.
  if (refire.length === 0 && !unclaimedStart && reported.size >= stage.taskCount && stage.taskCount > 0) refire.push(Math.max(...reported));
  return { refire: refire.sort((a, b) => a - b), unclaimedStart };
}
