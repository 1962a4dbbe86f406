/** How data moves through a stage: input selection, action parameters, result placement, output. */
import { InvalidInputError } from '../errors';
import type { RunError } from '../events/types';
import { isJsonObject, type Json, type JsonObject } from '../model/json';
import { assignPath, selectPath } from '../model/path';
import type { DataPath } from '../model/workflow';

/** The part of `data` at `path`; a missing path is an error of the run, not `undefined` passed on. */
export function selectInput(data: Json, path: DataPath): Json {
  const selected = selectPath(data, path);
  if (selected === undefined) throw new InvalidInputError(`the data has nothing at ${path}`, { path, error: 'whiskflow.PathNotFound' });
  return selected;
}

/**
 * An action's parameters: the selected input over the stage's static params (OpenWhisk parameters
 * must be an object, so any other input arrives as `{ value }`).
 */
export function actionParams(input: Json, staticParams: JsonObject): JsonObject {
  return { ...staticParams, ...(isJsonObject(input) ? input : { value: input }) };
}

/** The data after a stage: `result` placed at `resultPath` (null: dropped), then `output` selected. */
export function stageOutput(data: Json, result: Json, resultPath: DataPath | null, output: DataPath): Json {
  const placed = resultPath === null ? data : assignPath(data, resultPath, result);
  return selectInput(placed, output);
}

/** The error as it is written into the data by a `catch` rule. */
export function errorData(error: RunError): JsonObject {
  const data: JsonObject = { error: error.error };
  if (error.cause !== undefined) data.cause = error.cause;
  if (error.stageId !== undefined) data.stageId = error.stageId;
  if (error.activationId !== undefined) data.activationId = error.activationId;
  return data;
}

/** Data path problems become run errors (catchable), named after what went wrong. */
export function dataErrorOf(thrown: unknown, stageId: string): RunError | undefined {
  if (typeof thrown === 'object' && thrown !== null && (thrown as { code?: unknown }).code === 'INVALID_INPUT') {
    const { message, details } = thrown as { message: string; details: Record<string, unknown> };
    const name = typeof details.error === 'string' ? details.error : 'whiskflow.DataPathError';
    return { error: name, cause: message, stageId };
  }
  return undefined;
}
