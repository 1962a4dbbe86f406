/**
 * A park (scope.ts) as a set of numbered tasks, for a runtime that stores each task on its own
 * (the native orchestrator's create-only claims and results): how many tasks a park waits for and
 * how many start at once, what task `index` runs, and what the park's outcome is once its tasks'
 * results are joined. The kinds of steps get their meaning here, in the core, so that the runtime
 * keeps only its storage protocol. (The streaming engine keeps its tasks in the run state instead:
 * tasks.ts and steps.ts.)
 */
import type { AwaitStep, CompiledWorkflow, FanOutStep, InvokeStep } from '../model/compile';
import type { Json, JsonObject } from '../model/json';
import type { CompletionPolicy } from '../model/workflow';
import { InvalidInputError } from '../errors';
import { InstantBudget, afterStep, branchTask, elementParams, reduceParams, wakeTime, type Park, type StepOutcome } from './scope';

/** What task `index` of a park runs: an action, or (a parallel branch of several stages) a child run. */
export type TaskRunner =
  /**
   * `stageId`: the step a failure names (a single-task branch's own task, as the core records it);
   * `element`: the task's index within that stage (0 for a single-task branch, which is its stage's
   * only task); `params`: 'reduce' when they come from the joined results of the reduce's source;
   * `callback`: a callback task (its outcome is reported for its token, with a heartbeat at least
   * every `heartbeatMs` when set).
   */
  | { runsAs: 'action'; step: InvokeStep | FanOutStep; stageId: string; element: number; params: JsonObject | 'reduce'; callback: boolean; heartbeatMs?: number }
  | { runsAs: 'child-run'; startStep: string; input: Json }
  /** A wait stage's timer: nothing is invoked, the timer's completion fills the slot. */
  | { runsAs: 'timer' }
  /** An event stage: its one task is the wait for the event. */
  | { runsAs: 'event'; step: AwaitStep; stageId: string; key: string };

/** Tasks a park waits for, and how many start at once (0: none is started, a timer fills the slot). */
export function parkTasks(park: Park): { taskCount: number; window: number } {
  switch (park.kind) {
    case 'invoke':
    case 'reduce':
    case 'await':
      return { taskCount: 1, window: 1 };
    case 'fan-out':
      return { taskCount: park.items.length, window: park.window };
    case 'fork':
      return { taskCount: park.step.branchStarts.length, window: park.step.branchStarts.length };
    case 'wait':
      return { taskCount: 1, window: 0 };
    default:
      return unknownPark(park);
  }
}

export function parkRunner(workflow: CompiledWorkflow, park: Park, index: number): TaskRunner {
  switch (park.kind) {
    case 'invoke':
      return { runsAs: 'action', step: park.step, stageId: park.step.id, element: index, params: park.params, ...callbackOf(park.step) };
    case 'reduce':
      return { runsAs: 'action', step: park.step, stageId: park.step.id, element: index, params: 'reduce', ...callbackOf(park.step) };
    case 'fan-out': {
      const item = park.items[index];
      if (item === undefined) throw new InvalidInputError(`map stage '${park.step.id}' has no element ${index}`, { stageId: park.step.id, index });
      return { runsAs: 'action', step: park.step, stageId: park.step.id, element: index, params: elementParams(park.step, item), callback: false };
    }
    case 'fork': {
      const startStep = park.step.branchStarts[index];
      if (startStep === undefined) throw new InvalidInputError(`parallel stage '${park.step.id}' has no branch ${index}`, { stageId: park.step.id, index });
      // A branch that is one task may run as a task of the parallel stage (no scope of its own).
      const task = branchTask(workflow, park.step, index, park.input);
      return task
        ? { runsAs: 'action', step: task.step, stageId: task.step.id, element: 0, params: task.params, ...callbackOf(task.step) }
        : { runsAs: 'child-run', startStep, input: park.input };
    }
    case 'wait':
      return { runsAs: 'timer' };
    case 'await':
      return { runsAs: 'event', step: park.step, stageId: park.step.id, key: park.key };
    default:
      return unknownPark(park);
  }
}

/** The steps entered along with a park: a fork's single-task branches, whose tasks start with it. */
export function enteredWithPark(workflow: CompiledWorkflow, park: Park): InvokeStep[] {
  if (park.kind !== 'fork') return [];
  return park.step.branchStarts.flatMap((_start, branch) => branchTask(workflow, park.step, branch, park.input)?.step ?? []);
}

/** The completion policy of a park's join; undefined for a park of one task. */
export function parkCompletion(park: Park): CompletionPolicy | undefined {
  return park.kind === 'fan-out' || park.kind === 'fork' ? park.step.completion : undefined;
}

/** The fan-out or fork whose joined results a reduce park's task is invoked with; undefined for other parks. */
export function reduceSource(park: Park): string | undefined {
  return park.kind === 'reduce' ? park.step.input.fromStepId : undefined;
}

/** The parameters of a reduce park's task over its source's results, in input order. */
export function reduceTaskParams(park: Park, results: Json[]): JsonObject {
  if (park.kind !== 'reduce') throw new InvalidInputError(`stage '${park.step.id}' is not a reduce`, { stageId: park.step.id });
  return reduceParams(park.step, results);
}

/** When a wait park entered at `enteredAt` (ISO) wakes (ISO); undefined for other parks. */
export function parkWakeTime(park: Park, enteredAt: string): string | undefined {
  return park.kind === 'wait' ? wakeTime(park.wake, enteredAt) : undefined;
}

/**
 * The outcome of a complete park from its tasks' results in index order (`indexes`: the tasks they
 * are of, when a completion policy counted only some): a task's result, a map's results, a parallel
 * stage's branch outputs (a single-task branch's result goes through its task's own
 * `resultPath`/`output` over the branch input; a child run's output is that already). `joined`: the
 * results a later reduce of this park reads, for a map or a parallel stage.
 */
export function parkOutcome(workflow: CompiledWorkflow, park: Park, values: readonly Json[], indexes?: readonly number[]): { outcome: StepOutcome; joined?: Json[] } {
  switch (park.kind) {
    case 'invoke':
    case 'reduce':
    case 'await':
      return { outcome: { status: 'succeeded', result: values[0] ?? null } };
    case 'wait':
      return { outcome: { status: 'succeeded', result: null } };
    case 'fan-out':
      return { outcome: { status: 'succeeded', result: [...values] }, joined: [...values] };
    case 'fork': {
      const results: Json[] = [];
      for (const [position, value] of values.entries()) {
        const index = indexes?.[position] ?? position;
        const task = branchTask(workflow, park.step, index, park.input);
        if (!task) {
          results.push(value);
          continue;
        }
        const end = afterStep(workflow, task.step, 0, park.input, { status: 'succeeded', result: value }, { hasJoin: () => false, joined: () => undefined }, new InstantBudget());
        if (!('end' in end)) throw new InvalidInputError(`branch ${index} of '${park.step.id}' goes on after its only task`, { stageId: park.step.id, index });
        if (end.end.status === 'failed') return { outcome: { status: 'failed', error: end.end.error } };
        results.push(end.end.output);
      }
      return { outcome: { status: 'succeeded', result: results }, joined: results };
    }
    default:
      return unknownPark(park);
  }
}

function callbackOf(step: InvokeStep): { callback: boolean; heartbeatMs?: number } {
  return step.callback === true && step.heartbeatMs !== undefined ? { callback: true, heartbeatMs: step.heartbeatMs } : { callback: step.callback === true };
}

function unknownPark(park: never): never {
  throw new InvalidInputError('unknown park', { park });
}
