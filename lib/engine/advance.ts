/**
 * Apply a whole stage's outcome at once: for interpreters that decide a join outside the run
 * document (see `fan-in.ts` and docs/exactly-once.md), then hand the joined results here.
 */
import { hasSeen } from './seen-events';
import type { RunError } from '../events/types';
import type { CompiledWorkflow } from '../model/compile';
import type { Json } from '../model/json';
import { Draft, type TransitionResult } from './draft';
import type { RunState } from './run-state';
import { completeParkedStep, threadAt } from './steps';

export interface StageOutcome {
  stageId: string;
  /** Which visit of the stage (the `seq` of its task keys). */
  seq: number;
  outcome: { status: 'succeeded'; result: Json } | { status: 'failed'; error: RunError };
  time: string;
  /** Identifies this decision (e.g. the transition document id): applying it twice changes nothing. */
  decisionId: string;
}

/**
 * Complete the stage parked at `stageId`/`seq` with `outcome` and run on to the next park. A stage
 * that is no longer parked there (already advanced, run finished) yields no effects.
 */
export function advance(workflow: CompiledWorkflow, state: RunState, stage: StageOutcome): TransitionResult {
  if (state.status !== 'running' || hasSeen(state.seenEventIds, stage.decisionId)) return { state, effects: [] };
  const draft = new Draft(workflow, state, stage.time);
  const parked = threadAt(draft, stage.stageId, stage.seq);
  if (!parked) return { state, effects: [] };
  draft.rememberEvent(stage.decisionId);
  completeParkedStep(draft, parked, stage.outcome);
  return draft.result();
}
