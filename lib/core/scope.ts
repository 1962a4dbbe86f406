/**
 * What each kind of step means, for one scope (the root, or one branch of a fork), with no run state
 * around it: the single place where invoke, fan-out, fork, branch, succeed and fail get their meaning.
 * Both runtimes apply it: the streaming engine's threads (steps.ts, on a Draft) and the native
 * orchestrator's transitions (lib/runtimes/native/transitions.ts, on create-only documents).
 *
 * - `enterScope` walks from a step through the steps that complete at once (branch, succeed, fail,
 *   an empty fan-out, a data-path error routed through `catch`) to where the scope parks (an action
 *   to invoke, a reduce, a fan-out, a fork) or to its end;
 * - `afterStep` is the completion of a parked step: its result placed into the data, or its failure
 *   routed through `catch`, and then the walk on to the next park or end.
 * Data-path problems are failures of the step (catchable), never exceptions; anything else thrown
 * is a bug and is not swallowed. Choices that loop without a task are bounded by an InstantBudget.
 */
import { chooseNext } from '../conditions/choice';
import type { RunError } from '../events/types';
import { unreachableCompletion } from '../conditions/completion';
import { stepOf, type AwaitStep, type CompiledWorkflow, type FanOutStep, type ForkStep, type InvokeStep, type Step, type WaitStep } from '../model/compile';
import type { Json, JsonObject } from '../model/json';
import { selectPath } from '../model/path';
import { mapWindow, type CatchRule } from '../model/workflow';
import { actionParams, dataErrorOf, errorData, selectInput, stageOutput } from './data-flow';
import { correlationKey } from './correlation';

/** Steps that park a scope, and so complete later. */
export type WaitingStep = InvokeStep | FanOutStep | ForkStep | WaitStep | AwaitStep;

/** When a wait wakes: after a duration from when it was entered, or at a time from the data. */
export type Wake = { afterMs: number } | { at: string };

export type StepOutcome = { status: 'succeeded'; result: Json } | { status: 'failed'; error: RunError };

/** Where a scope waits, and what for. `seq`: the visit number the hooks gave the step. */
export type Park =
  /** An action whose parameters come from the data. */
  | { kind: 'invoke'; step: InvokeStep; seq: number; data: Json; params: JsonObject }
  /** An action over the results of an earlier fan-out or fork of the scope (`reduceParams`). */
  | { kind: 'reduce'; step: InvokeStep & { input: { kind: 'join' } }; seq: number; data: Json }
  /** One action per item, `window` of them at once. */
  | { kind: 'fan-out'; step: FanOutStep; seq: number; data: Json; items: Json[]; window: number }
  /** One child scope per branch, each entered at its start with `input`. */
  | { kind: 'fork'; step: ForkStep; seq: number; data: Json; input: Json }
  /** A timer: the runtime stores when it wakes (entry time + `afterMs`, or `at`) with the run. */
  | { kind: 'wait'; step: WaitStep; seq: number; data: Json; wake: Wake }
  /** One external event of `step.eventType` whose correlation key is `key` (await.ts). */
  | { kind: 'await'; step: AwaitStep; seq: number; data: Json; key: string };

export type ScopeEnd = { status: 'succeeded'; output: Json } | { status: 'failed'; error: RunError };

export type Entered = { park: Park } | { end: ScopeEnd };

/** A completed step, as `stage.completed` reports it. */
export type StepCompletion = { status: 'succeeded'; output: Json } | { status: 'failed'; error: RunError };

/** What the walk needs from (and tells) whoever keeps the scope's state. */
export interface ScopeHooks {
  /** Whether the scope holds results of the fan-out or fork `stepId` (what a reduce needs). */
  hasJoin(stepId: string): boolean;
  /** A fan-out or fork of the scope completed with these results. */
  joined(step: FanOutStep | ForkStep, results: Json[]): void;
  /** A step is entered; returns its visit number (default 0). */
  visit?(step: Step): number;
  /** A step completed (branch, succeed, or a parked step). */
  completed?(step: Step, seq: number, completion: StepCompletion): void;
}

/**
 * Steps that complete without waiting (choice) may loop; a workflow whose choices only lead to each
 * other would spin for ever inside one transition. This bound turns that into a scope failure.
 */
export const MAX_INSTANT_STEPS = 10_000;

/** The instant steps one transition may still pass; shared by every scope the transition walks. */
export class InstantBudget {
  private used = 0;
  constructor(private readonly max = MAX_INSTANT_STEPS) {}

  /** Counts one instant step; false once the bound is exceeded. */
  spend(): boolean {
    this.used += 1;
    return this.used <= this.max;
  }
}

type Move = Entered | { enter: { stepId: string; data: Json } };

/** Runs steps from `stepId` with `data` until the scope parks or ends. */
export function enterScope(workflow: CompiledWorkflow, stepId: string, data: Json, hooks: ScopeHooks, budget: InstantBudget): Entered {
  return walk(workflow, { enter: { stepId, data } }, hooks, budget);
}

/** The parked `step` (entered with `data`, visit `seq`) completed with `outcome`: where the scope goes next. */
export function afterStep(workflow: CompiledWorkflow, step: WaitingStep, seq: number, data: Json, outcome: StepOutcome, hooks: ScopeHooks, budget: InstantBudget): Entered {
  const move = outcome.status === 'succeeded' ? stepSucceeded(step, seq, data, outcome.result, hooks) : stepFailed(step, seq, data, outcome.error, hooks);
  return walk(workflow, move, hooks, budget);
}

// A loop, not recursion, through choices: a workflow may pass many of them in one transition.
function walk(workflow: CompiledWorkflow, first: Move, hooks: ScopeHooks, budget: InstantBudget): Entered {
  let move = first;
  while ('enter' in move) {
    const step = stepOf(workflow, move.enter.stepId);
    move = enterStep(step, hooks.visit?.(step) ?? 0, move.enter.data, hooks, budget);
  }
  return move;
}

function enterStep(step: Step, seq: number, data: Json, hooks: ScopeHooks, budget: InstantBudget): Move {
  switch (step.kind) {
    case 'invoke':
      return enterInvoke(step, seq, data, hooks);
    case 'fan-out': {
      const items = fanOutItems(step, data);
      if (!Array.isArray(items)) return stepFailed(step, seq, data, items, hooks);
      const unreachable = unreachableCompletion(step.completion, items.length);
      if (unreachable) return stepFailed(step, seq, data, { error: COMPLETION_UNREACHABLE, cause: `map stage ${step.id}, field completion.atLeast: ${unreachable} elements`, stageId: step.id }, hooks);
      if (items.length === 0) return stepSucceeded(step, seq, data, [], hooks);
      return { park: { kind: 'fan-out', step, seq, data, items, window: mapWindow(step.concurrency, items.length) } };
    }
    case 'fork': {
      const input = dataStep(step.id, () => selectInput(data, step.input));
      if ('error' in input) return stepFailed(step, seq, data, input.error, hooks);
      return { park: { kind: 'fork', step, seq, data, input: input.value } };
    }
    case 'wait': {
      const wake = wakeOf(step, data);
      if ('error' in wake) return stepFailed(step, seq, data, wake, hooks);
      return { park: { kind: 'wait', step, seq, data, wake } };
    }
    case 'await': {
      const key = dataStep(step.id, () => correlationKey(step, data));
      if ('error' in key) return stepFailed(step, seq, data, key.error, hooks);
      return { park: { kind: 'await', step, seq, data, key: key.value } };
    }
    case 'branch': {
      if (!budget.spend()) return failed({ error: 'whiskflow.InstantLoop', cause: `choices looped through ${step.id} without running a task`, stageId: step.id });
      const chosen = chooseNext(step.rules, data, step.default);
      if (chosen === undefined) return failed({ error: 'whiskflow.NoChoiceMatched', cause: `no rule of ${step.id} holds and it has no default`, stageId: step.id });
      hooks.completed?.(step, seq, { status: 'succeeded', output: data });
      return { enter: { stepId: chosen, data } };
    }
    case 'succeed': {
      const output = dataStep(step.id, () => selectInput(data, step.output));
      if ('error' in output) return failed(output.error);
      hooks.completed?.(step, seq, { status: 'succeeded', output: output.value });
      return { end: { status: 'succeeded', output: output.value } };
    }
    case 'fail': {
      const error: RunError = { error: step.error, stageId: step.id };
      if (step.cause !== undefined) error.cause = step.cause;
      return failed(error);
    }
    default:
      return unknownStep(step);
  }
}

function enterInvoke(step: InvokeStep, seq: number, data: Json, hooks: ScopeHooks): Move {
  const source = step.input;
  if (source.kind === 'join') {
    if (!hooks.hasJoin(source.fromStepId)) {
      const cause = `reduce ${step.id} runs before ${source.fromStepId} has produced results in this scope`;
      return stepFailed(step, seq, data, { error: 'whiskflow.ReduceWithoutResults', cause, stageId: step.id }, hooks);
    }
    return { park: { kind: 'reduce', step: step as InvokeStep & { input: { kind: 'join' } }, seq, data } };
  }
  const input = dataStep(step.id, () => selectInput(data, source.path));
  if ('error' in input) return stepFailed(step, seq, data, input.error, hooks);
  return { park: { kind: 'invoke', step, seq, data, params: actionParams(input.value, step.params) } };
}

function stepSucceeded(step: WaitingStep, seq: number, data: Json, result: Json, hooks: ScopeHooks): Move {
  if (step.kind === 'wait') {
    // A wait's data passes through unchanged: its timer has no result.
    hooks.completed?.(step, seq, { status: 'succeeded', output: data });
    return step.next === null ? { end: { status: 'succeeded', output: data } } : { enter: { stepId: step.next, data } };
  }
  const output = dataStep(step.id, () => stageOutput(data, result, step.resultPath, step.output));
  if ('error' in output) return stepFailed(step, seq, data, output.error, hooks);
  if ((step.kind === 'fan-out' || step.kind === 'fork') && Array.isArray(result)) hooks.joined(step, result);
  hooks.completed?.(step, seq, { status: 'succeeded', output: output.value });
  return step.next === null ? { end: { status: 'succeeded', output: output.value } } : { enter: { stepId: step.next, data: output.value } };
}

/** A step failed: the first matching `catch` rule routes the error into the data, else the scope fails. */
function stepFailed(step: WaitingStep, seq: number, data: Json, error: RunError, hooks: ScopeHooks): Move {
  hooks.completed?.(step, seq, { status: 'failed', error });
  const rule = catchRuleFor(step.catch, error.error);
  if (!rule) return failed(error);
  if (rule.resultPath === null) return { enter: { stepId: rule.next, data } };
  const caught = dataStep(step.id, () => stageOutput(data, errorData(error), rule.resultPath as string, '$'));
  if ('error' in caught) return failed(caught.error);
  return { enter: { stepId: rule.next, data: caught.value } };
}

const failed = (error: RunError): Move => ({ end: { status: 'failed', error } });

/** A map whose completion policy needs more successes than it has elements (`atLeast` > items). */
export const COMPLETION_UNREACHABLE = 'whiskflow.CompletionUnreachable';
/** A wait whose `until` is not an ISO 8601 time. */
export const INVALID_TIME = 'whiskflow.InvalidTime';

/** ISO 8601 date-times (with a zone, or UTC) and dates, as `Date.parse` reads them reliably. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function wakeOf(step: WaitStep, data: Json): Wake | RunError {
  if (step.until === undefined) return { afterMs: Math.round((step.seconds ?? 0) * 1000) };
  const until = step.until;
  const selected = dataStep(step.id, () => selectPath(data, until));
  if ('error' in selected) return selected.error;
  const value = selected.value;
  if (typeof value === 'string' && ISO_TIME.test(value) && !Number.isNaN(Date.parse(value))) return { at: new Date(Date.parse(value)).toISOString() };
  const shown = value === undefined ? 'missing' : JSON.stringify(value).slice(0, 80);
  return { error: INVALID_TIME, cause: `wait stage ${step.id}, field until: ${until} is ${shown}, not an ISO 8601 time`, stageId: step.id };
}

/** The ISO time a wait parked at `enteredAt` (ISO) wakes. */
export function wakeTime(wake: Wake, enteredAt: string): string {
  return 'at' in wake ? wake.at : new Date(Date.parse(enteredAt) + wake.afterMs).toISOString();
}

/**
 * The park of a waiting step entered with `data` once more: a runtime that stored only the step id
 * and the data it parked on re-derives what it waits for (items, parameters, branch input). Only for
 * a step that parked on `data` before; undefined if it would not park now.
 */
export function parkAt(workflow: CompiledWorkflow, stepId: string, data: Json, hooks: Pick<ScopeHooks, 'hasJoin'>): Park | undefined {
  const move = enterStep(stepOf(workflow, stepId), 0, data, { ...hooks, joined: () => undefined }, new InstantBudget());
  return 'park' in move ? move.park : undefined;
}

/**
 * Branch `branch` of a fork when the whole branch is one action: its start is an invoke from the
 * data that ends the branch (no `next`, no `catch`), and the branch input has what it selects. Its
 * end is then that action's outcome through `afterStep`: a runtime may run it as a plain task of
 * the fork instead of a scope of its own.
 */
export function branchTask(workflow: CompiledWorkflow, fork: ForkStep, branch: number, input: Json): { step: InvokeStep; params: JsonObject } | undefined {
  const start = fork.branchStarts[branch];
  if (start === undefined) return undefined;
  const step = stepOf(workflow, start);
  if (step.next !== null) return undefined;
  const park = parkAt(workflow, start, input, { hasJoin: () => false });
  if (park?.kind !== 'invoke' || park.step.catch.length > 0) return undefined;
  return { step: park.step, params: park.params };
}

/** Every fork of the workflow (where branches, and so child scopes, can start). */
export function forkSteps(workflow: CompiledWorkflow): ForkStep[] {
  return Object.values(workflow.steps).flatMap((step) => (step.kind === 'fork' ? [step] : []));
}

/** The failure of a park whose task `index` failed for good: a fan-out's names the element. */
export function taskFailure(park: Park, index: number, error: RunError): RunError {
  return park.kind === 'fan-out' ? elementFailure(error, index) : error;
}

/** A fan-out's failure when element `index` failed for good (fail fast: elements still running are ignored). */
export function elementFailure(error: RunError, index: number): RunError {
  return { ...error, cause: `element ${index}: ${error.cause ?? error.error}` };
}

/** The first `catch` rule that handles an error named `errorName`. */
export function catchRuleFor(rules: readonly CatchRule[], errorName: string): CatchRule | undefined {
  return rules.find((candidate) => candidate.errors === undefined || candidate.errors.includes(errorName));
}

/** The items of a fan-out entered with `data`, or the failure that they are not an array. */
export function fanOutItems(step: FanOutStep, data: Json): Json[] | RunError {
  const selected = dataStep(step.id, () => selectPath(selectInput(data, step.input), step.items));
  if ('error' in selected) return selected.error;
  const items = selected.value;
  if (Array.isArray(items)) return items;
  return { error: 'whiskflow.ItemsNotArray', cause: `${step.items} of the input of ${step.id} is ${items === undefined ? 'missing' : 'not an array'}`, stageId: step.id };
}

/** Parameters of a fan-out's element. */
export function elementParams(step: FanOutStep, item: Json): JsonObject {
  return actionParams(item, step.params);
}

/** Parameters of a reduce over the results of its source, in input order. */
export function reduceParams(step: InvokeStep, results: Json[]): JsonObject {
  return actionParams({ results }, step.params);
}

/** What a fork's branches start from. Only for a fork that parked on `data` (enterScope checked the path). */
export function forkInput(step: ForkStep, data: Json): Json {
  return selectInput(data, step.input);
}

/** Parameters of an invoke that parked on `data` (enterScope checked the path). */
export function invokeParams(step: InvokeStep & { input: { kind: 'data' } }, data: Json): JsonObject {
  return actionParams(selectInput(data, step.input.path), step.params);
}

function dataStep<T extends Json | undefined>(stepId: string, compute: () => T): { value: T } | { error: RunError } {
  try {
    return { value: compute() };
  } catch (thrown) {
    const error = dataErrorOf(thrown, stepId);
    if (!error) throw thrown;
    return { error };
  }
}

function unknownStep(step: never): never {
  throw new Error(`unknown step ${JSON.stringify(step)}`);
}
