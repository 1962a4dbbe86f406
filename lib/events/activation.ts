/**
 * From an OpenWhisk activation record (or a `result=true` answer) to the task event it means.
 * OpenWhisk says an action failed either through `response.success === false` (application or
 * developer error) or, for results alone, by an `error` field in the result object.
 */
import { isJsonObject, type Json } from '../model/json';
import { taskCompleted, taskFailed } from './build';
import type { TaskCompletedEvent, TaskError, TaskFailedEvent } from './types';

/** The parts of an activation record this needs (as the `openwhisk` client returns it). */
export interface ActivationLike {
  activationId: string;
  end?: number;
  response: { success: boolean; status?: string; result?: unknown };
}

/**
 * The error of an attempt whose activation the platform lost (docs/exactly-once.md): a failure like
 * any other, so the task's `retry` applies, then `catch`, then the run fails with it.
 */
export const ACTIVATION_LOST = 'whiskflow.ActivationLost';

/**
 * A record the platform made for an activation it did not run to an end (`whisk internal error`:
 * the local platform records so the activations running when it stopped, from its journal). The
 * action produced no outcome: the attempt was lost, not failed by the action.
 */
export function isLostActivation(activation: Pick<ActivationLike, 'response'>): boolean {
  return activation.response?.status === 'whisk internal error';
}

export function taskEventFromActivation(runId: string, taskKey: string, activation: ActivationLike): TaskCompletedEvent | TaskFailedEvent {
  const result = (activation.response.result ?? {}) as Json;
  const time = new Date(activation.end ?? Date.now()).toISOString();
  const base = { runId, taskKey, activationId: activation.activationId, time };
  if (isLostActivation(activation)) {
    const error = isJsonObject(result) ? result.error : undefined;
    const how = typeof error === 'string' ? error : JSON.stringify(error ?? 'no response');
    return taskFailed({ ...base, error: { error: ACTIVATION_LOST, cause: `activation ${activation.activationId} was lost: ${how}` } });
  }
  if (activation.response.success && !(isJsonObject(result) && result.error !== undefined)) {
    return taskCompleted({ ...base, result });
  }
  return taskFailed({ ...base, error: taskErrorFromResult(result, activation.response.status) });
}

/**
 * An action's `{ error }` as a task error: a string error is the name; an object error uses its
 * `name`/`code` as the name and `message` as the cause (how Node errors and most actions look).
 */
export function taskErrorFromResult(result: Json, status?: string): TaskError {
  const raw = isJsonObject(result) ? result.error : undefined;
  if (typeof raw === 'string') return { error: raw };
  if (isJsonObject(raw)) {
    const name = typeof raw.name === 'string' ? raw.name : typeof raw.code === 'string' ? raw.code : 'whiskflow.ActionFailed';
    const cause = typeof raw.message === 'string' ? raw.message : JSON.stringify(raw);
    return { error: name, cause };
  }
  return { error: 'whiskflow.ActionFailed', cause: status ?? 'the action reported no result' };
}
