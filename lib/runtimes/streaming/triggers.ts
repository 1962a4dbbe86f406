/**
 * Stream triggers: Triggerflow's (events, condition, action, context) next to the workflow. A
 * trigger watches the task events of one run, optionally only of some stages, and when its
 * condition fires it invokes an action with the aggregated results, e.g. "after 3 of the 5
 * `scrape` tasks, invoke `preview`", "when `a` and `b` both succeeded, invoke `notify`", or "if
 * `train` has not reported within 60 s, invoke `alert`". Evaluation is pure: new contexts, never
 * mutated ones, and duplicates change nothing (see conditions/).
 */
import { parseTaskKey } from '../../events/task-key';
import { EVENT_TYPES, type WhiskflowEvent } from '../../events/types';
import type { JsonObject } from '../../model/json';
import { createContext, evaluateStreamCondition, type ConditionContext, type Observation, type StreamCondition, type Verdict } from './conditions';

export interface StreamTrigger {
  /** Unique among the triggers of a workflow; also the stage id of the task its action starts. */
  id: string;
  /** Runs of this workflow get the trigger. */
  workflow: string;
  /** Only task events of these stages count; absent: every stage. */
  stageIds?: string[];
  condition: StreamCondition;
  /** Invoked once with `{ ...params, results }` when the condition fires. */
  action: { action: string; params?: JsonObject };
  /** Invoked once with `{ ...params, reason }` when the condition fails; absent: the failure is only recorded. */
  onFail?: { action: string; params?: JsonObject };
}

/** A trigger's state within one run. */
export interface TriggerState {
  trigger: StreamTrigger;
  context: ConditionContext;
}

/** What a trigger asks for once it is decided. */
export interface TriggerFiring {
  triggerId: string;
  action: string;
  params: JsonObject;
  outcome: 'fired' | 'failed';
}

export function createTriggerStates(triggers: readonly StreamTrigger[], time: string): Record<string, TriggerState> {
  return Object.fromEntries(triggers.map((trigger) => [trigger.id, { trigger, context: createContext(trigger.condition, time) }]));
}

/** The observation a task event makes, or undefined for events conditions do not watch. */
export function observe(event: WhiskflowEvent): Observation | undefined {
  switch (event.type) {
    case EVENT_TYPES.taskCompleted:
      return { id: event.id, stageId: event.data.stageId, slot: parseTaskKey(event.data.taskKey).index, data: event.data.result, failed: false };
    case EVENT_TYPES.taskFailed:
      return { id: event.id, stageId: event.data.stageId, slot: parseTaskKey(event.data.taskKey).index, data: event.data.error as unknown as JsonObject, failed: true };
    case EVENT_TYPES.taskTimedOut:
      return { id: event.id, stageId: event.data.stageId, slot: parseTaskKey(event.data.taskKey).index, data: { error: 'whiskflow.Timeout' }, failed: true };
    case EVENT_TYPES.runStarted:
    case EVENT_TYPES.stageCompleted:
    case EVENT_TYPES.runFinished:
    case EVENT_TYPES.runCancelled:
      return undefined;
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** Shows an event (or a clock tick) to every trigger; returns the new states and what fired. */
export function evaluateTriggers(
  states: Record<string, TriggerState>,
  input: { kind: 'event'; event: WhiskflowEvent } | { kind: 'tick'; time: string },
): { states: Record<string, TriggerState>; firings: TriggerFiring[] } {
  // Most runs have no triggers: skip observing (it parses the task key) for every one of their events.
  const entries = Object.entries(states);
  if (entries.length === 0) return { states, firings: [] };
  const observation = input.kind === 'event' ? observe(input.event) : undefined;
  if (input.kind === 'event' && !observation) return { states, firings: [] };
  const next: Record<string, TriggerState> = {};
  const firings: TriggerFiring[] = [];
  for (const [id, state] of entries) {
    const { trigger } = state;
    // A trigger never watches the task its own action started.
    const watched = observation === undefined
      || (observation.stageId !== trigger.id && (!trigger.stageIds || (observation.stageId !== undefined && trigger.stageIds.includes(observation.stageId))));
    const verdict: Verdict = !watched
      ? { kind: 'unchanged', context: state.context }
      : evaluateStreamCondition(trigger.condition, state.context, observation ? { kind: 'event', observation } : { kind: 'tick', time: (input as { time: string }).time });
    next[id] = verdict.kind === 'unchanged' ? state : { trigger, context: verdict.context };
    if (verdict.kind === 'fired') {
      firings.push({ triggerId: id, action: trigger.action.action, params: { ...(trigger.action.params ?? {}), results: verdict.results }, outcome: 'fired' });
    } else if (verdict.kind === 'failed' && trigger.onFail) {
      firings.push({ triggerId: id, action: trigger.onFail.action, params: { ...(trigger.onFail.params ?? {}), reason: verdict.reason }, outcome: 'failed' });
    }
  }
  return { states: next, firings };
}

/** Deadlines of the undecided triggers, for the engine's durable timers. */
export function triggerDeadlines(states: Record<string, TriggerState>): { triggerId: string; deadline: string }[] {
  return Object.entries(states).flatMap(([triggerId, state]) => {
    const deadline = findDeadline(state.context);
    return state.context.status === 'waiting' && deadline !== undefined ? [{ triggerId, deadline }] : [];
  });
}

function findDeadline(context: ConditionContext): string | undefined {
  if (context.deadline !== undefined) return context.deadline;
  const inner = (context.parts ?? []).map(findDeadline).filter((deadline): deadline is string => deadline !== undefined).sort();
  return inner[0];
}

/** The condition kinds a trigger may use, for validating trigger files. */
export type { StreamCondition };
