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

export function taskEventFromActivation(runId: string, taskKey: string, activation: ActivationLike): TaskCompletedEvent | TaskFailedEvent {
  const result = (activation.response.result ?? {}) as Json;
  const time = new Date(activation.end ?? Date.now()).toISOString();
  const base = { runId, taskKey, activationId: activation.activationId, time };
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
