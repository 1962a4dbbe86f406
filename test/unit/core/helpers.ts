/** Shared helpers of the core's unit tests: fixtures, effect filters. */
import { EVENT_TYPES, type StageCompletedEvent } from '../../../lib/events/types';
import type { Effect, FinishEffect, InvokeEffect } from '../../../lib/core/effects';
import { compileWorkflow, type CompiledWorkflow } from '../../../lib/model/compile';
import { isJsonObject, type Json } from '../../../lib/model/json';
import { parseWorkflow } from '../../../lib/model/parse';
import type { Simulation } from '../../helpers/simulate';
import { fixtureWorkflow } from '../../helpers/fixtures';

export const fixture = (name: string): CompiledWorkflow => compileWorkflow(fixtureWorkflow(name));
export const compile = (yaml: string): CompiledWorkflow => compileWorkflow(parseWorkflow(yaml));
export const T0 = '2026-01-01T00:00:00.000Z';

export const finishOf = (simulation: Simulation): FinishEffect => {
  const finishes = simulation.effects.filter((effect): effect is FinishEffect => effect.kind === 'finish');
  expect(finishes).toHaveLength(1);
  return finishes[0] as FinishEffect;
};
export const stageCompletions = (effects: Effect[], stageId: string): StageCompletedEvent[] => effects
  .flatMap((effect) => (effect.kind === 'emit' && effect.event.type === EVENT_TYPES.stageCompleted && effect.event.data.stageId === stageId ? [effect.event] : []));
export const invokes = (effects: Effect[]): InvokeEffect[] => effects.filter((effect): effect is InvokeEffect => effect.kind === 'invoke');

/** Freeze deeply, so that any write to a state given to the engine throws. */
export function deepFreeze<T>(value: T): T {
  if (isJsonObject(value as Json) || Array.isArray(value)) {
    Object.values(value as object).forEach((inner) => deepFreeze(inner));
    Object.freeze(value);
  }
  return value;
}
