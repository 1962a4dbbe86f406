/**
 * The pure transition: `(workflow, run state, event) -> { state, effects }`. It never performs I/O
 * and never mutates its arguments; interpreters store `state` and then perform `effects`.
 *
 * Idempotence: an event whose id was already applied, an event for a finished run, and a task event
 * for a slot that is already filled or an attempt that is no longer current all yield the state
 * unchanged (bar the recorded event id) and no effects. A join fires when its last slot fills, once.
 */
import { hasSeen } from './seen-events';
import { InvalidInputError } from '../errors';
import { EVENT_TYPES, type RunStartedEvent, type WhiskflowEvent } from '../events/types';
import type { CompiledWorkflow } from '../model/compile';
import { Draft, type TransitionResult } from './draft';
import { createRunState } from './run-state';
import { enterStep, finishRun, rootIdentity } from './steps';
import { applyTaskEvent } from './tasks';

export { MAX_SEEN_EVENT_IDS, type TransitionResult } from './draft';

/** The error a cancelled run ends with (native and streaming alike). */
export const CANCELLED_ERROR = 'whiskflow.Cancelled';

/** Create the state of a new run from its `run.started` event and start its first stage. */
export function startRun(workflow: CompiledWorkflow, event: RunStartedEvent): TransitionResult {
  if (event.data.workflow !== workflow.name) {
    throw new InvalidInputError(`run.started names workflow ${event.data.workflow}, not ${workflow.name}`, { runId: event.data.runId });
  }
  const initial = createRunState({
    runId: event.data.runId,
    workflow: { name: workflow.name, version: workflow.version },
    input: event.data.input,
    time: event.time,
  });
  const draft = new Draft(workflow, initial, event.time);
  draft.rememberEvent(event.id);
  enterStep(draft, rootIdentity(), workflow.start, event.data.input);
  return draft.result();
}

export function transition(workflow: CompiledWorkflow, state: TransitionResult['state'], event: WhiskflowEvent): TransitionResult {
  return apply(workflow, state, event, false);
}

/**
 * `transition` for a caller that owns `state` alone: a state returned by an earlier transition that
 * nothing else holds (not a checkpoint, not a cached copy). It writes into `state`'s containers
 * instead of copying them, which makes applying many events of one run in a row O(1) per event
 * rather than O(tasks) (the streaming engine applies a batch's events of a run this way). The result
 * is as `transition`'s: the same object when the event changes nothing, a new top-level object
 * otherwise; `state` itself must not be used afterwards. If it throws, `state` may be half-written
 * and must be discarded.
 */
export function transitionInPlace(workflow: CompiledWorkflow, state: TransitionResult['state'], event: WhiskflowEvent): TransitionResult {
  return apply(workflow, state, event, true);
}

function apply(workflow: CompiledWorkflow, state: TransitionResult['state'], event: WhiskflowEvent, inPlace: boolean): TransitionResult {
  if (event.data.runId !== state.runId) {
    throw new InvalidInputError(`event ${event.id} is for run ${event.data.runId}, not ${state.runId}`, { eventId: event.id, runId: state.runId });
  }
  if (hasSeen(state.seenEventIds, event.id) || state.status !== 'running') return { state, effects: [] };
  switch (event.type) {
    case EVENT_TYPES.runStarted:
    // The run exists already: a second start (under another id) is a duplicate.
    // falls through
    case EVENT_TYPES.stageCompleted:
    case EVENT_TYPES.runFinished:
      // Emitted by the engine itself for observers; they change nothing.
      return { state, effects: [] };
    case EVENT_TYPES.runCancelled: {
      // Every thread ends here: no task starts after this, pending retries and timers are dropped
      // with the run (the `finish` effect), and later completions find the run over.
      const draft = new Draft(workflow, state, event.time, inPlace);
      draft.rememberEvent(event.id);
      finishRun(draft, { status: 'cancelled', error: { error: CANCELLED_ERROR, cause: event.data.reason } });
      return draft.result();
    }
    case EVENT_TYPES.taskCompleted:
    case EVENT_TYPES.taskFailed:
    case EVENT_TYPES.taskTimedOut: {
      const draft = new Draft(workflow, state, event.time, inPlace);
      draft.rememberEvent(event.id);
      applyTaskEvent(draft, event);
      return draft.result();
    }
    default:
      return unknownEvent(event);
  }
}

function unknownEvent(event: never): never {
  throw new InvalidInputError('unknown event type', { event });
}
