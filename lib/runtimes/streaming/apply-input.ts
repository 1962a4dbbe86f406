/**
 * The Condition Engine's decision for one input, pure: `(context, input) -> { context, outputs }`.
 * It runs the workflow through the pure transition (lib/core/transition.ts, the same one the
 * native interpreter uses) and the stream triggers through their conditions, and turns the effects
 * into data for the engine's edges: orchestration events to produce and durable timers to keep.
 *
 * Nothing here reads a clock: every time comes from the input event, so re-applying a redelivered
 * batch to the same checkpoint yields the same outputs with the same ids.
 */
import { hasSeen } from '../../core/seen-events';
import { EVENT_TYPES, type RunStartedEvent, type WhiskflowEvent } from '../../events/types';
import type { CompiledWorkflow } from '../../model/compile';
import type { Effect, InvokeEffect } from '../../core/effects';
import { startRun, transition, transitionInPlace, type TransitionResult } from '../../core/transition';
import { STREAM_EVENT_TYPES, taskInvoke, type ConditionInput, type OrchestrationEvent, type TaskInvokeEvent } from './orchestration-events';
import { timerIds, type StreamRunContext, type Timer } from './run-context';
import { awaitInvoke } from './stream-waits';
import { createTriggerStates, evaluateTriggers, triggerDeadlines, type StreamTrigger, type TriggerFiring } from './triggers';

export interface ApplyOptions {
  /** Topic every task reports its completion to (carried in each invoke). */
  completionTopic: string;
  /**
   * The context's run state came out of an earlier apply in the same batch and nothing else holds
   * it (not the checkpoint, not the cache): the transition may write into it rather than copy it,
   * which keeps a batch of one run's events O(1) per event instead of O(tasks). The given context
   * must not be used afterwards, and if the apply throws it must be discarded (it may be half-written).
   */
  ownsState?: boolean;
}

export type Applied =
  /** Nothing changed: a duplicate, an event for an unknown or finished run, a timer already applied. */
  | { kind: 'unchanged'; reason: string }
  | { kind: 'changed'; context: StreamRunContext; outputs: OrchestrationEvent[] };

/** A run that does not exist yet: what `run.started` needs. */
export interface NewRun {
  workflow: CompiledWorkflow;
  triggers: readonly StreamTrigger[];
  partition?: number;
}

export function applyStart(existing: StreamRunContext | undefined, event: RunStartedEvent, run: NewRun, options: ApplyOptions): Applied {
  if (existing) return { kind: 'unchanged', reason: `run ${event.data.runId} exists already` };
  const started = startRun(run.workflow, event);
  const context: StreamRunContext = {
    type: 'stream-run',
    runId: event.data.runId,
    workflow: run.workflow,
    state: started.state,
    timers: {},
    triggers: createTriggerStates(run.triggers, event.time),
  };
  if (run.partition !== undefined) context.partition = run.partition;
  const outputs: OrchestrationEvent[] = [];
  const withEffects = perform(context, started.effects, event.time, options, outputs);
  return { kind: 'changed', context: armTriggerDeadlines(withEffects), outputs };
}

/** Applies any input but `run.started` to an existing run. */
export function applyInput(context: StreamRunContext, input: ConditionInput, options: ApplyOptions): Applied {
  if (input.type === STREAM_EVENT_TYPES.timerFired) return applyTimer(context, input.data.timerId, input.time, options);
  if (input.type === EVENT_TYPES.runStarted) return { kind: 'unchanged', reason: `run ${context.runId} exists already` };
  return applyEvent(context, input, options);
}

function applyEvent(context: StreamRunContext, event: WhiskflowEvent, options: ApplyOptions): Applied {
  if (hasSeen(context.state.seenEventIds, event.id)) return { kind: 'unchanged', reason: `event ${event.id} was applied already` };
  const result: TransitionResult = options.ownsState
    ? transitionInPlace(context.workflow, context.state, event)
    : transition(context.workflow, context.state, event);
  const triggered = evaluateTriggers(context.triggers, { kind: 'event', event });
  if (result.state === context.state && triggered.states === context.triggers) {
    return { kind: 'unchanged', reason: `event ${event.id} changes nothing (run ${context.state.status})` };
  }
  const outputs: OrchestrationEvent[] = [];
  let next: StreamRunContext = { ...context, state: result.state, triggers: triggered.states };
  next = perform(next, result.effects, event.time, options, outputs);
  if (triggered.firings.length > 0) next = fire(next, triggered.firings, event.time, options, outputs);
  return { kind: 'changed', context: next, outputs };
}

function applyTimer(context: StreamRunContext, timerId: string, time: string, options: ApplyOptions): Applied {
  const timer = context.timers[timerId];
  if (!timer) return { kind: 'unchanged', reason: `timer ${timerId} was applied already` };
  const { [timerId]: _applied, ...timers } = context.timers;
  const remaining: StreamRunContext = { ...context, timers };
  switch (timer.action.kind) {
    case 'deliver': {
      // Restamped with the time it fired: the transition takes "now" from the event.
      const delivered = { ...timer.action.event, time } as WhiskflowEvent;
      const applied = applyEvent(remaining, delivered, options);
      return applied.kind === 'changed' ? applied : { kind: 'changed', context: remaining, outputs: [] };
    }
    case 'perform': {
      if (remaining.state.status !== 'running') return { kind: 'changed', context: remaining, outputs: [] };
      const outputs: OrchestrationEvent[] = [];
      return { kind: 'changed', context: perform(remaining, timer.action.effects, time, options, outputs), outputs };
    }
    case 'tick': {
      const triggered = evaluateTriggers(remaining.triggers, { kind: 'tick', time });
      const outputs: OrchestrationEvent[] = [];
      const next = fire({ ...remaining, triggers: triggered.states }, triggered.firings, time, options, outputs);
      return { kind: 'changed', context: next, outputs };
    }
    default: {
      const unknown: never = timer.action;
      return unknown;
    }
  }
}

/** Effects become outputs (invoke, emit) or timers (timeout, retry); `finish` drops workflow timers. */
function perform(context: StreamRunContext, effects: readonly Effect[], time: string, options: ApplyOptions, outputs: OrchestrationEvent[]): StreamRunContext {
  // Most effects are invokes: copy the timers only for effects that change them.
  if (effects.every((effect) => effect.kind === 'invoke' || effect.kind === 'emit')) {
    for (const effect of effects) {
      if (effect.kind === 'invoke') outputs.push(invokeEvent(effect, time, options, context.workflow.name));
      else if (effect.kind === 'emit') outputs.push(effect.event);
    }
    return context;
  }
  const timers: Record<string, Timer> = { ...context.timers };
  for (const effect of effects) {
    switch (effect.kind) {
      case 'invoke':
        outputs.push(invokeEvent(effect, time, options, context.workflow.name));
        break;
      case 'schedule-timeout': {
        const id = timerIds.taskTimeout(effect.taskKey);
        timers[id] = { id, due: later(time, effect.ms), action: { kind: 'deliver', event: effect.event } };
        break;
      }
      case 'schedule-wake': {
        // A wait stage's timer: kept in the checkpointed context, so a restarted engine still fires it.
        const id = timerIds.wake(effect.taskKey);
        timers[id] = { id, due: effect.at, action: { kind: 'deliver', event: effect.event } };
        break;
      }
      case 'retry-after': {
        const id = timerIds.retry(effect.taskKey);
        timers[id] = { id, due: later(time, effect.ms), action: { kind: 'perform', effects: effect.then } };
        break;
      }
      case 'emit':
        outputs.push(effect.event);
        break;
      case 'await-event':
        // The Rule Engine registers the wait in the store's mailbox (stream-waits.ts), once per task key.
        outputs.push(awaitInvoke(context.workflow, effect, time, options.completionTopic));
        break;
      case 'finish':
        // The run is over: its task timers and retries can only be ignored now, so drop them.
        for (const id of Object.keys(timers)) if (timers[id]?.action.kind !== 'tick') delete timers[id];
        break;
      default: {
        const unknown: never = effect;
        return unknown;
      }
    }
  }
  return { ...context, timers };
}

function invokeEvent(effect: InvokeEffect, time: string, options: ApplyOptions, workflow: string): TaskInvokeEvent {
  const data = { runId: effect.runId, stageId: effect.stageId, taskKey: effect.taskKey, action: effect.action, params: effect.params, completionTopic: options.completionTopic, time };
  const withTimeout = effect.timeoutMs === undefined ? data : { ...data, timeoutMs: effect.timeoutMs };
  // A callback's token names its workflow: `whiskflow complete` finds the workflow's stream by it.
  return taskInvoke(effect.callback ? { ...withTimeout, callback: true, workflow } : withTimeout);
}

/** A decided trigger starts its action as a task of its own (stage id = trigger id). */
function fire(context: StreamRunContext, firings: readonly TriggerFiring[], time: string, options: ApplyOptions, outputs: OrchestrationEvent[]): StreamRunContext {
  // A cancelled run starts nothing more, a trigger's action included.
  if (context.state.status === 'cancelled') return context;
  const timers = { ...context.timers };
  for (const firing of firings) {
    const taskKey = `${firing.triggerId}:1:${firing.outcome === 'fired' ? 0 : 1}:1`;
    outputs.push(taskInvoke({ runId: context.runId, stageId: firing.triggerId, taskKey, action: firing.action, params: firing.params, completionTopic: options.completionTopic, time }));
    delete timers[timerIds.trigger(firing.triggerId)];
  }
  return { ...context, timers };
}

function armTriggerDeadlines(context: StreamRunContext): StreamRunContext {
  const timers = { ...context.timers };
  for (const { triggerId, deadline } of triggerDeadlines(context.triggers)) {
    const id = timerIds.trigger(triggerId);
    timers[id] = { id, due: deadline, action: { kind: 'tick' } };
  }
  return { ...context, timers };
}

function later(time: string, ms: number): string {
  return new Date(Date.parse(time) + ms).toISOString();
}
