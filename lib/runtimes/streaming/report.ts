/**
 * The streaming model's side of self-reporting TS/JS actions (no activation polling): the task
 * context the Rule Engine passes as `__whiskflow_stream`, and producing a completion to the stream.
 * Actions do not call this directly: the self-report API (lib/report: `reportingAction`,
 * `reportTaskOutcome`) chooses it when the action was started with `__whiskflow_stream`.
 *
 * The stream URL is NOT in the task context (it may hold a password): it is bound to the action as
 * the default parameter `__whiskflow_stream_url` (or set as WHISKFLOW_STREAM_URL in the runtime).
 */
import { taskCompleted, taskFailed } from '../../events/build';
import { toStructuredJson } from '../../events/cloudevent';
import type { TaskError } from '../../events/types';
import { InvalidInputError } from '../../errors';
import { isJsonObject, type Json, type JsonObject } from '../../model/json';
import type { EventStream } from './brokers';
import { TOKEN_ATTRIBUTE } from '../../events/event-seal';

/** The structured event with the attempt's token as an extension attribute (when there is one). */
export function withToken(event: JsonObject, token: string | undefined): JsonObject {
  return token === undefined ? event : { ...event, [TOKEN_ATTRIBUTE]: token };
}

export const STREAM_TASK_PARAM = '__whiskflow_stream';
export const STREAM_URL_PARAM = '__whiskflow_stream_url';

export interface StreamTaskContext {
  runId: string;
  stageId: string;
  taskKey: string;
  completionTopic: string;
  /** The attempt's token (lib/events/event-seal.ts): the Condition Engine refuses a completion without it. */
  token?: string;
}

/** The task context of an invocation, or undefined when the action was not started by the engine. */
export function streamTaskOf(params: JsonObject): StreamTaskContext | undefined {
  const raw = params[STREAM_TASK_PARAM];
  if (raw === undefined) return undefined;
  if (!isJsonObject(raw)) throw new InvalidInputError(`${STREAM_TASK_PARAM} must be an object`, { param: STREAM_TASK_PARAM });
  const field = (name: keyof StreamTaskContext): string => {
    const value = raw[name];
    if (typeof value !== 'string' || value === '') throw new InvalidInputError(`${STREAM_TASK_PARAM}.${name} must be a non-empty string`, { param: STREAM_TASK_PARAM, field: name });
    return value;
  };
  const task: StreamTaskContext = { runId: field('runId'), stageId: field('stageId'), taskKey: field('taskKey'), completionTopic: field('completionTopic') };
  if (typeof raw.token === 'string') task.token = raw.token;
  return task;
}

export type TaskOutcome = { result: Json } | { error: TaskError };

/** Produces the completion of `task`; its id is the task's, so reporting twice is harmless. */
export async function reportToStream(stream: EventStream, task: StreamTaskContext, outcome: TaskOutcome, activationId?: string): Promise<void> {
  const time = new Date().toISOString();
  const base = { runId: task.runId, taskKey: task.taskKey, time, ...(activationId ? { activationId } : {}) };
  const event = 'result' in outcome ? taskCompleted({ ...base, result: outcome.result }) : taskFailed({ ...base, error: outcome.error });
  await stream.produce(task.completionTopic, task.runId, [withToken(toStructuredJson(event), task.token)]);
}
