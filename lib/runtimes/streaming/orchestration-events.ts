/**
 * The events the streaming engines add to whiskflow's run events (lib/events), as CloudEvents in
 * structured-mode JSON:
 * - `dev.whiskflow.task.invoke` (orchestration topic): the Rule Engine starts one task attempt. It
 *   carries everything the task needs to report back: run, stage, task key and completion topic.
 * - `dev.whiskflow.timer.fired` (completion topic): a durable timer of the Condition Engine came due.
 *   Timers travel through the run's own partition so that they are applied in order with the run's
 *   other events, by whichever engine owns the run by then.
 * Ids are derived from what the event is about, never random: re-emitting after a crash yields the
 * same id, which is how the Rule Engine and the Condition Engine recognise duplicates.
 */
import { InvalidInputError } from '../../errors';
import { canonicalTime, eventSource, fromCloudEvent } from '../../events/cloudevent';
import type { WhiskflowEvent } from '../../events/types';
import { isJsonObject, type Json, type JsonObject } from '../../model/json';

export const STREAM_EVENT_TYPES = {
  taskInvoke: 'dev.whiskflow.task.invoke',
  timerFired: 'dev.whiskflow.timer.fired',
} as const;

export interface TaskInvokeEvent {
  type: typeof STREAM_EVENT_TYPES.taskInvoke;
  id: string;
  time: string;
  data: {
    runId: string;
    stageId: string;
    taskKey: string;
    action: string;
    params: JsonObject;
    /** Topic the task's completion must be produced to (keyed by `runId`). */
    completionTopic: string;
    timeoutMs?: number;
    /** A callback task: invoked with its callback token, its outcome reported for the token (stream-waits.ts). */
    callback?: true;
    /** A callback task's workflow (named in its token). */
    workflow?: string;
  };
}

export interface TimerFiredEvent {
  type: typeof STREAM_EVENT_TYPES.timerFired;
  id: string;
  time: string;
  data: { runId: string; timerId: string };
}

/** What the Condition Engine consumes: run events from tasks and clients, plus its own timers. */
export type ConditionInput = WhiskflowEvent | TimerFiredEvent;
/** What the Rule Engine consumes: invocations, plus run events passed on for observers. */
export type OrchestrationEvent = TaskInvokeEvent | WhiskflowEvent;

export function taskInvoke(args: TaskInvokeEvent['data'] & { time: string }): TaskInvokeEvent {
  const { time, ...data } = args;
  return { type: STREAM_EVENT_TYPES.taskInvoke, id: `${data.runId}/${data.taskKey}/invoke`, time, data };
}

export function timerFired(args: { runId: string; timerId: string; time: string }): TimerFiredEvent {
  return {
    type: STREAM_EVENT_TYPES.timerFired,
    id: `${args.runId}/timer/${args.timerId}`,
    time: args.time,
    data: { runId: args.runId, timerId: args.timerId },
  };
}

/**
 * Structured-mode CloudEvent JSON of any event the engines produce: exactly what
 * `new CloudEvent({...}).toJSON()` gives (the unit tests compare the two for every type), built
 * directly. The Condition Engine produces about one event per event it consumes, and the package's
 * constructor validates each one with a JSON schema (plus two JSON round trips here), which took a
 * third of the engine's time per event. Everything here comes from events already validated at the
 * engine's boundary (ids, times) or from the engine itself, so the schema could never fail.
 *
 * `data` is shared with the caller, not copied: the brokers serialise it at once, and JSON drops
 * `undefined` members as the package's round trip did.
 */
export function toStreamJson(event: ConditionInput | OrchestrationEvent): JsonObject {
  const subject = streamSubject(event);
  return {
    id: event.id,
    time: canonicalTime(event.time),
    type: event.type,
    source: eventSource(event.data.runId),
    specversion: '1.0',
    datacontenttype: 'application/json',
    subject,
    data: event.data as unknown as JsonObject,
  };
}

/** The CloudEvent subject: the task key of an invoke, the stage of a stage or task event, else the run. */
function streamSubject(event: ConditionInput | OrchestrationEvent): string {
  if (event.type === STREAM_EVENT_TYPES.taskInvoke) return event.data.taskKey;
  if (event.type === STREAM_EVENT_TYPES.timerFired) return event.data.runId;
  return 'stageId' in event.data ? event.data.stageId : event.data.runId;
}

/** Reads what the Condition Engine was given; throws `InvalidInputError` naming the bad field. */
export function parseConditionInput(raw: unknown): ConditionInput {
  const object = asObject(raw);
  if (object.type === STREAM_EVENT_TYPES.timerFired) {
    const data = asObject(object.data);
    return {
      type: STREAM_EVENT_TYPES.timerFired,
      id: text(object, 'id'),
      time: text(object, 'time'),
      data: { runId: text(data, 'runId', 'data.'), timerId: text(data, 'timerId', 'data.') },
    };
  }
  return fromCloudEvent(object);
}

/** Reads what the Rule Engine was given. */
export function parseOrchestrationEvent(raw: unknown): OrchestrationEvent {
  const object = asObject(raw);
  if (object.type !== STREAM_EVENT_TYPES.taskInvoke) return fromCloudEvent(object);
  const data = asObject(object.data);
  const params = data.params;
  if (!isJsonObject(params as Json)) throw new InvalidInputError('event data.params: expected an object', { field: 'data.params' });
  const event: TaskInvokeEvent = {
    type: STREAM_EVENT_TYPES.taskInvoke,
    id: text(object, 'id'),
    time: text(object, 'time'),
    data: {
      runId: text(data, 'runId', 'data.'),
      stageId: text(data, 'stageId', 'data.'),
      taskKey: text(data, 'taskKey', 'data.'),
      action: text(data, 'action', 'data.'),
      params: params as JsonObject,
      completionTopic: text(data, 'completionTopic', 'data.'),
    },
  };
  if (typeof data.timeoutMs === 'number') event.data.timeoutMs = data.timeoutMs;
  if (data.callback === true) event.data.callback = true;
  if (typeof data.workflow === 'string') event.data.workflow = data.workflow;
  return event;
}

function asObject(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidInputError('stream event: expected a CloudEvent object', { found: raw === null ? 'null' : typeof raw });
  }
  return raw as Record<string, unknown>;
}

function text(object: Record<string, unknown>, field: string, prefix = ''): string {
  const value = object[field];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInputError(`stream event ${prefix}${field}: expected a non-empty string`, { field: `${prefix}${field}` });
  }
  return value;
}
