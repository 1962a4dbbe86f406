/**
 * A working copy of a run state plus the effects produced so far. The engine's steps write to the
 * copy; the caller's state is never touched, so `transition` stays pure from outside.
 */
import { rememberSeen } from './seen-events';
import { InvalidInputError } from '../errors';
import type { CompiledWorkflow } from '../model/compile';
import type { Effect } from './effects';
import type { RunState, TaskRecord, Wait } from './run-state';
import { copyJoin } from '../conditions/join';
import { InstantBudget } from './scope';

export { MAX_INSTANT_STEPS } from './scope';

/**
 * Seen event ids kept per run. Duplicates are also caught by task key (a filled slot ignores later
 * completions), so this only needs to cover redeliveries, which arrive soon after the original; the
 * bound keeps a long-running run's document from growing without end.
 */
export const MAX_SEEN_EVENT_IDS = 10_000;

/** The result every pure entry point returns. */
export interface TransitionResult {
  state: RunState;
  effects: Effect[];
}

/**
 * A copy of `state` that the engine may write to, sharing everything it never writes in place:
 * the engine replaces task records, fork joins and data rather than changing them, and only writes
 * inside threads, their waits and fan-out joins, which are copied here. (A deep clone per event made
 * a 1,000-element map cost O(n) per completion in copying alone.)
 */
function copyForWriting(state: RunState): RunState {
  const threads: RunState['threads'] = {};
  for (const [id, thread] of Object.entries(state.threads)) threads[id] = { ...thread, wait: copyWait(thread.wait) };
  return { ...state, threads, visits: { ...state.visits }, tasks: copyTasks(state.tasks), seenEventIds: [...state.seenEventIds] };
}

/**
 * `{ ...tasks }` is slow once task keys put the record in V8's dictionary mode; a plain loop took a
 * 1,000-element map from 1.9 to 1.2 ms per completion. Run states are JSON: no inherited keys.
 */
function copyTasks(tasks: RunState['tasks']): RunState['tasks'] {
  const copy: RunState['tasks'] = {};
  for (const key in tasks) copy[key] = tasks[key] as TaskRecord;
  return copy;
}


function copyWait(wait: Wait): Wait {
  switch (wait.kind) {
    case 'task':
      return { ...wait };
    case 'fan-out':
      // The join too: steps record arrivals into the draft's join in place (see conditions/join.ts).
      return { ...wait, attempts: { ...wait.attempts }, join: copyJoin(wait.join) };
    case 'fork':
    case 'timer':
      return { ...wait };
    default:
      return unknownWait(wait);
  }
}

function unknownWait(wait: never): never {
  throw new Error(`unknown wait ${JSON.stringify(wait)}`);
}

export class Draft {
  readonly state: RunState;
  readonly effects: Effect[] = [];
  /** Choices passed in this transition, bounded (scope.ts). */
  readonly instantSteps = new InstantBudget();

  /**
   * `inPlace`: the caller owns `original` alone (it came out of an earlier Draft and nobody else
   * holds it), so this draft writes into its containers instead of copying them; only the top-level
   * object is new, so a changed state is still a different object. `original` must not be used
   * afterwards. See `transitionInPlace`.
   */
  constructor(readonly workflow: CompiledWorkflow, original: RunState, readonly time: string, inPlace = false) {
    if (original.workflow.name !== workflow.name || original.workflow.version !== workflow.version) {
      throw new InvalidInputError(
        `run ${original.runId} belongs to ${original.workflow.name}@${original.workflow.version}, not ${workflow.name}@${workflow.version}`,
        { runId: original.runId, expected: original.workflow, got: { name: workflow.name, version: workflow.version } },
      );
    }
    this.state = inPlace ? { ...original } : copyForWriting(original);
  }

  /** Enter a stage once more: returns its new visit number (1 on first entry). */
  nextVisit(stageId: string): number {
    const seq = (this.state.visits[stageId] ?? 0) + 1;
    this.state.visits[stageId] = seq;
    return seq;
  }

  /** Record an applied event (or decision) id; only the newest `MAX_SEEN_EVENT_IDS` are kept. */
  rememberEvent(eventId: string): void {
    rememberSeen(this.state.seenEventIds, eventId, MAX_SEEN_EVENT_IDS);
  }

  emit(...effects: Effect[]): void {
    this.effects.push(...effects);
  }

  get running(): boolean {
    return this.state.status === 'running';
  }

  result(): TransitionResult {
    this.state.updatedAt = this.time;
    return { state: this.state, effects: this.effects };
  }
}
