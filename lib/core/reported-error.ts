/**
 * What a reported task failure means: an action's `error` field (any JSON, as the task conductor or
 * a self-reporting action passes it on), or the failure of a child scope reported as its task's
 * outcome, as the RunError that retry and catch rules match by name.
 */
import type { RunError } from '../events/types';
import { isJsonObject, type Json } from '../model/json';

/** Error name of a failed attempt: the error's `name` or `error`, a plain name string, else `whiskflow.ActionFailed`. */
export function errorName(error: Json): string {
  if (isJsonObject(error)) {
    const named = error.name ?? error.error;
    if (typeof named === 'string') return named;
  }
  return typeof error === 'string' && /^[\w.]+$/.test(error) ? error : 'whiskflow.ActionFailed';
}

/** An action's reported error as a run error of `stageId` (the cause is the error as reported). */
export function reportedError(error: Json, stageId: string, activationId: string | undefined): RunError {
  const failure: RunError = { error: errorName(error), cause: typeof error === 'string' ? error : JSON.stringify(error), stageId };
  if (activationId !== undefined) failure.activationId = activationId;
  return failure;
}

/**
 * The failure a child scope reported for its task: the scope's own failure (the step inside the
 * branch that failed, its cause and activation) as it is, so that the fork's `catch` and the run's
 * end carry the real cause. Anything else is read like an action's error.
 */
export function scopeFailure(error: Json, stageId: string): RunError {
  if (isJsonObject(error) && typeof error.error === 'string' && typeof error.cause === 'string') {
    const failure: RunError = { error: error.error, cause: error.cause };
    if (typeof error.stageId === 'string') failure.stageId = error.stageId;
    if (typeof error.activationId === 'string') failure.activationId = error.activationId;
    return failure;
  }
  return reportedError(error, stageId, undefined);
}
