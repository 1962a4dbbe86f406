/**
 * How data flows through a stage (see lib/model/workflow.ts): input selection, parameters of each
 * task, where results go and what the next stage receives. Pure functions over JSON.
 */
import { InvalidInputError } from '../../errors';
import { isJsonObject, type Json, type JsonObject } from '../../model/json';
import { assignPath, selectPath } from '../../model/path';
import type { CatchRule, DataSelection, InvocationOptions, RetryPolicy, Stage } from '../../model/workflow';
import type { RunFailure } from '../../store/run-documents';

/** OpenWhisk parameters are a dictionary: anything else is boxed as `{ value }`, like conductors do. */
export function box(value: Json | undefined): JsonObject {
  if (isJsonObject(value)) return value;
  return value === undefined ? {} : { value };
}

/** Parameters for one invocation: static params under the selected input. */
export function taskParams(options: InvocationOptions, selected: Json | undefined): JsonObject {
  return { ...(options.params ?? {}), ...box(selected) };
}

export function selectInput(stage: DataSelection, data: Json): Json | undefined {
  return selectPath(data, stage.input);
}

/** The elements a map stage fans out over; throws `InvalidInputError` when they are not an array. */
export function mapItems(stage: Extract<Stage, { kind: 'map' }>, data: Json): Json[] {
  const selected = selectInput(stage, data);
  const items = selected === undefined ? undefined : selectPath(selected, stage.items);
  if (!Array.isArray(items)) {
    throw new InvalidInputError(`stage '${stage.id}' maps over ${stage.items} of its input, which is ${items === undefined ? 'missing' : `a ${typeof items}`}, not an array`,
      { stageId: stage.id, items: stage.items });
  }
  return items;
}

/** The data after a stage produced `result`: `resultPath` then `output`. */
export function applyResult(stage: Omit<DataSelection, 'input'>, data: Json, result: Json): Json {
  const placed = stage.resultPath === null ? data : assignPath(data, stage.resultPath, result);
  return selectPath(placed, stage.output) ?? null;
}

/** Error name of a failed attempt, as retry and catch rules match it. */
export function errorName(error: unknown): string {
  if (isJsonObject(error as Json)) {
    const named = (error as JsonObject).name ?? (error as JsonObject).error;
    if (typeof named === 'string') return named;
  }
  return typeof error === 'string' && /^[\w.]+$/.test(error) ? error : 'whiskflow.ActionFailed';
}

/** A failure as users read it; `error` is the action's `error` field, which may be any JSON. */
export function toFailure(error: unknown, stageId: string, activationId: string | undefined): RunFailure {
  const cause = typeof error === 'string' ? error : JSON.stringify(error);
  return { error: errorName(error), cause, stageId, ...(activationId ? { activationId } : {}) };
}

/**
 * The failure a child run reported for its parent's task: the child's own run failure (the stage
 * inside the branch that failed, its cause and activation), so that the parallel stage's `catch`
 * and the parent's end carry the real cause. Anything else is read like an action's error.
 */
export function childFailure(error: unknown, stageId: string): RunFailure {
  if (isJsonObject(error as Json)) {
    const reported = error as JsonObject;
    if (typeof reported.error === 'string' && typeof reported.cause === 'string') {
      return {
        error: reported.error, cause: reported.cause,
        ...(typeof reported.stageId === 'string' ? { stageId: reported.stageId } : {}),
        ...(typeof reported.activationId === 'string' ? { activationId: reported.activationId } : {}),
      };
    }
  }
  return toFailure(error, stageId, undefined);
}

/** Whether attempt `attempt` (1-based) that failed with `name` gets another try, and after how long. */
export function retryDelay(policy: RetryPolicy | undefined, attempt: number, name: string): number | undefined {
  if (!policy || attempt >= policy.maxAttempts) return undefined;
  if (policy.errors && !policy.errors.includes(name)) return undefined;
  const { initialMs, multiplier, maxMs } = policy.backoff;
  return Math.min(initialMs * multiplier ** (attempt - 1), maxMs);
}

export function matchCatch(rules: CatchRule[] | undefined, name: string): CatchRule | undefined {
  return rules?.find((rule) => !rule.errors || rule.errors.includes(name));
}

export function assertJson(value: unknown, what: string): Json {
  if (value === undefined) throw new InvalidInputError(`${what} is missing`);
  return value as Json;
}
