/**
 * A deterministic, in-memory interpreter for unit tests: performs `invoke` effects by calling fake
 * actions, and feeds the completions back through the pure transition in an order the test picks
 * (in order, reversed, or seeded-random), optionally delivering every event twice. No timers: a
 * `schedule-timeout` fires only if the fake action says the attempt hangs.
 */
import { runStarted, taskCompleted, taskFailed } from '../../lib/events/build';
import type { TaskError, WhiskflowEvent } from '../../lib/events/types';
import type { Effect, InvokeEffect, ScheduleTimeoutEffect } from '../../lib/core/effects';
import type { RunState } from '../../lib/core/run-state';
import { startRun, transition } from '../../lib/core/transition';
import type { CompiledWorkflow } from '../../lib/model/compile';
import type { Json, JsonObject } from '../../lib/model/json';

/** What a fake action does with one attempt. */
export type FakeOutcome = { result: Json } | { error: TaskError } | 'hang';
export type FakeAction = (params: JsonObject, attempt: number, taskKey: string) => FakeOutcome;

export type DeliveryOrder = 'fifo' | 'lifo' | { seed: number };

export interface SimulationOptions {
  actions: Record<string, FakeAction>;
  order?: DeliveryOrder;
  /** Deliver every task event twice (the second copy right after the first). */
  duplicate?: boolean;
  runId?: string;
}

export interface Simulation {
  state: RunState;
  /** Every effect the transition produced, in order. */
  effects: Effect[];
  /** Every invoke performed (retries included), in order. */
  invocations: InvokeEffect[];
  /** Delays asked for by `retry-after`, in order. */
  retryDelays: number[];
  /** Largest number of invocations of one stage outstanding at once. */
  maxInFlight: Record<string, number>;
  /** Transitions that produced effects although their event was a duplicate copy. */
  duplicateEffects: number;
}

const START_TIME = Date.parse('2026-01-01T00:00:00.000Z');

export function simulate(workflow: CompiledWorkflow, input: Json, options: SimulationOptions): Simulation {
  const runId = options.runId ?? 'run-1';
  let clock = START_TIME;
  const now = (): string => new Date((clock += 1)).toISOString();
  const random = seededRandom(typeof options.order === 'object' ? options.order.seed : 1);
  const pending: WhiskflowEvent[] = [];
  const inFlight = new Map<string, number>();
  const simulation: Simulation = { state: undefined as unknown as RunState, effects: [], invocations: [], retryDelays: [], maxInFlight: {}, duplicateEffects: 0 };

  const perform = (effects: Effect[]): void => {
    // Timers first, so that an attempt that hangs finds the timer issued with it.
    for (const effect of effects) if (effect.kind === 'schedule-timeout') simulation.effects.push(effect);
    for (const effect of effects) {
      if (effect.kind === 'schedule-timeout') continue;
      simulation.effects.push(effect);
      if (effect.kind === 'invoke') invoke(effect);
      else if (effect.kind === 'retry-after') {
        simulation.retryDelays.push(effect.ms);
        perform(effect.then);
      }
    }
  };

  const invoke = (effect: InvokeEffect): void => {
    simulation.invocations.push(effect);
    const count = (inFlight.get(effect.stageId) ?? 0) + 1;
    inFlight.set(effect.stageId, count);
    simulation.maxInFlight[effect.stageId] = Math.max(simulation.maxInFlight[effect.stageId] ?? 0, count);
    const action = options.actions[effect.action];
    if (!action) throw new Error(`no fake action ${effect.action}`);
    const attempt = Number(effect.taskKey.split(':')[3]);
    const outcome = action(effect.params, attempt, effect.taskKey);
    const base = { runId, taskKey: effect.taskKey, activationId: `act-${effect.taskKey}`, time: now() };
    if (outcome === 'hang') {
      const timer = findTimer(effect.taskKey);
      if (!timer) throw new Error(`${effect.taskKey} hangs but has no timeout`);
      pending.push(timer.event);
    } else if ('result' in outcome) pending.push(taskCompleted({ ...base, result: outcome.result }));
    else pending.push(taskFailed({ ...base, error: outcome.error }));
  };
  const findTimer = (taskKey: string): ScheduleTimeoutEffect | undefined => {
    return [...simulation.effects].reverse().find((effect): effect is ScheduleTimeoutEffect => effect.kind === 'schedule-timeout' && effect.taskKey === taskKey);
  };

  const started = startRun(workflow, runStarted({ runId, workflow: workflow.name, input, time: now() }));
  simulation.state = started.state;
  perform(started.effects);

  let guard = 0;
  while (pending.length > 0) {
    if ((guard += 1) > 100_000) throw new Error('simulation did not settle');
    const index = options.order === 'lifo' ? pending.length - 1 : typeof options.order === 'object' ? Math.floor(random() * pending.length) : 0;
    const [event] = pending.splice(index, 1);
    if (!event) break;
    if ('stageId' in event.data) inFlight.set(event.data.stageId, (inFlight.get(event.data.stageId) ?? 1) - 1);
    const step = transition(workflow, simulation.state, event);
    simulation.state = step.state;
    perform(step.effects);
    if (options.duplicate) {
      const again = transition(workflow, simulation.state, { ...event });
      if (again.effects.length > 0) simulation.duplicateEffects += 1;
      simulation.state = again.state;
    }
  }
  return simulation;
}

/** mulberry32: small, seedable, good enough to shuffle deliveries reproducibly. */
export function seededRandom(seed: number): () => number {
  let value = seed >>> 0;
  return () => {
    value = (value + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(value ^ (value >>> 15), 1 | value);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
