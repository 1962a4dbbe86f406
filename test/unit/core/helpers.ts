/** Shared helpers of the engine's unit tests: fixtures, fake actions, effect filters. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, type StageCompletedEvent } from '../../../lib/events/types';
import type { Effect, FinishEffect, InvokeEffect } from '../../../lib/core/effects';
import { compileWorkflow, type CompiledWorkflow } from '../../../lib/model/compile';
import { isJsonObject, type Json, type JsonObject } from '../../../lib/model/json';
import { parseWorkflow } from '../../../lib/model/parse';
import type { FakeAction, Simulation } from './simulate';

export const FIXTURES = join(__dirname, '../../fixtures/workflows');
export const fixture = (name: string): CompiledWorkflow => compileWorkflow(parseWorkflow(readFileSync(join(FIXTURES, `${name}.yaml`), 'utf8')));
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

/** Fake actions of the fixtures. */
const numbers = (params: JsonObject): number[] => (params.value as number[]);
export const actions: Record<string, FakeAction> = {
  echo: (params) => ({ result: params }),
  sum: (params) => ({ result: { sum: numbers(params).reduce((total, n) => total + n, 0) } }),
  sumall: (params) => ({ result: { sum: (params.results as { sum: number }[]).reduce((total, part) => total + part.sum, 0), parts: (params.results as { sum: number }[]).map((part) => part.sum) } }),
  wait: (params) => ({ result: { waited: params.ms ?? params.value ?? 0 } }),
  'wordcount/count': (params) => {
    const counts: Record<string, number> = {};
    for (const word of String(params.value).split(/\s+/).filter(Boolean)) counts[word] = (counts[word] ?? 0) + 1;
    return { result: counts };
  },
  'wordcount/merge': (params) => {
    const merged: Record<string, number> = {};
    for (const counts of params.results as Record<string, number>[]) {
      for (const [word, count] of Object.entries(counts)) merged[word] = (merged[word] ?? 0) + count;
    }
    return { result: merged };
  },
};

/** Freeze deeply, so that any write to a state given to the engine throws. */
export function deepFreeze<T>(value: T): T {
  if (isJsonObject(value as Json) || Array.isArray(value)) {
    Object.values(value as object).forEach((inner) => deepFreeze(inner));
    Object.freeze(value);
  }
  return value;
}
