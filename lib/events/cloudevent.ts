/**
 * Run events ⇄ CloudEvents (the maintained `cloudevents` package, not a copy of it). Structured
 * mode JSON is what travels as a trigger payload or a broker message; `fromCloudEvent` checks the
 * type and the data fields the transition relies on before anything trusts them.
 */
import { CloudEvent } from 'cloudevents';
import { InvalidInputError } from '../errors';
import { isJsonObject, type Json, type JsonObject } from '../model/json';
import { EVENT_TYPES, type EventType, type WhiskflowEvent } from './types';

/** Where whiskflow events come from: one source per run, so brokers can partition by it. */
export function eventSource(runId: string): string {
  return `/whiskflow/runs/${encodeURIComponent(runId)}`;
}

export function toCloudEvent(event: WhiskflowEvent): CloudEvent<JsonObject> {
  const subject = 'stageId' in event.data ? event.data.stageId : event.data.runId;
  return new CloudEvent<JsonObject>({
    id: event.id,
    type: event.type,
    source: eventSource(event.data.runId),
    subject,
    time: event.time,
    datacontenttype: 'application/json',
    // Dropping `undefined` members keeps the data JSON (CloudEvents would keep them as keys).
    data: JSON.parse(JSON.stringify(event.data)) as JsonObject,
  });
}

/** Structured-mode JSON, e.g. for a trigger fire body or a Kafka message value. */
export function toStructuredJson(event: WhiskflowEvent): JsonObject {
  return JSON.parse(JSON.stringify(toCloudEvent(event).toJSON())) as JsonObject;
}

/** Accepts a CloudEvent or its structured-mode JSON; throws `InvalidInputError` naming the bad field. */
export function fromCloudEvent(input: CloudEvent<unknown> | Record<string, unknown>): WhiskflowEvent {
  const raw = input as Record<string, unknown>;
  const type = raw.type;
  if (typeof raw.id !== 'string' || raw.id === '') throw invalid('id', raw.id, 'a non-empty string');
  if (!isEventType(type)) throw invalid('type', type, `one of ${Object.values(EVENT_TYPES).join(', ')}`);
  const time = typeof raw.time === 'string' ? raw.time : undefined;
  if (time === undefined || !isTime(time)) throw invalid('time', raw.time, 'an ISO 8601 time');
  const data = typeof raw.data === 'string' ? safeJson(raw.data) : raw.data;
  if (!isJsonObject(data as Json)) throw invalid('data', raw.data, 'an object');
  const fields = new DataReader(data as JsonObject);
  const id = raw.id;
  const runId = fields.string('runId');
  // Objects built field by field rather than spread together: the stream engines read every event
  // through here, and spreads cost them several times what the checks do.
  switch (type) {
    case EVENT_TYPES.runStarted:
      return { id, time, type, data: { runId, workflow: fields.string('workflow'), input: fields.json('input') } };
    case EVENT_TYPES.taskCompleted:
      return { id, time, type, data: withActivation({ runId, stageId: fields.string('stageId'), taskKey: fields.string('taskKey'), result: fields.json('result') }, fields) };
    case EVENT_TYPES.taskFailed:
      return { id, time, type, data: withActivation({ runId, stageId: fields.string('stageId'), taskKey: fields.string('taskKey'), error: fields.taskError('error') }, fields) };
    case EVENT_TYPES.taskTimedOut:
      return { id, time, type, data: { runId, stageId: fields.string('stageId'), taskKey: fields.string('taskKey'), timeoutMs: fields.number('timeoutMs') } };
    case EVENT_TYPES.stageCompleted: {
      const status = fields.status();
      return { id, time, type, data: { runId, stageId: fields.string('stageId'), seq: fields.number('seq'), status, ...fields.outcome('output') } };
    }
    case EVENT_TYPES.runFinished:
      return { id, time, type, data: { runId, status: fields.runStatus(), ...fields.outcome('result') } };
    case EVENT_TYPES.runCancelled:
      return { id, time, type, data: { runId, reason: fields.optionalString('reason') ?? 'cancelled' } };
    default:
      return unknownType(type);
  }
}

/**
 * `toISOString()`'s own form, which every whiskflow producer writes, with each field in range: a
 * time that matches needs no date parsing (the stream engines check every event's time).
 */
const CANONICAL_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/** Whether `text` is a time an event may carry: any form `Date.parse` reads. */
function isTime(text: string): boolean {
  return CANONICAL_TIME.test(text) || !Number.isNaN(Date.parse(text));
}

/** `text` (a valid time) in `toISOString()` form, as CloudEvents serialises times; as is when it already is. */
export function canonicalTime(text: string): string {
  // Days 29 to 31 may not exist in their month (toISOString rolls them over): only those are parsed.
  return CANONICAL_TIME.test(text) && text.slice(8, 10) <= '28' ? text : new Date(text).toISOString();
}

function withActivation<T extends object>(data: T, fields: DataReader): T & { activationId?: string } {
  const activationId = fields.optionalActivationId();
  if (activationId !== undefined) (data as T & { activationId?: string }).activationId = activationId;
  return data;
}

/** Built once: the stream engines check the type of every event they consume. */
const KNOWN_TYPES: ReadonlySet<string> = new Set(Object.values(EVENT_TYPES));

function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && KNOWN_TYPES.has(value);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function invalid(field: string, value: unknown, expected: string): InvalidInputError {
  return new InvalidInputError(`event ${field}: expected ${expected}`, { field, expected, found: typeof value });
}

function unknownType(type: never): never {
  throw invalid('type', type, 'a whiskflow event type');
}

/** Typed reads of event data fields, each failing with the field's name. */
class DataReader {
  constructor(private readonly data: JsonObject) {}

  string(field: string): string {
    const value = this.data[field];
    if (typeof value !== 'string' || value === '') throw invalid(`data.${field}`, value, 'a non-empty string');
    return value;
  }

  number(field: string): number {
    const value = this.data[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`data.${field}`, value, 'a number');
    return value;
  }

  json(field: string): Json {
    const value = this.data[field];
    if (value === undefined) throw invalid(`data.${field}`, value, 'a JSON value');
    return value;
  }

  taskError(field: string): { error: string; cause?: string } {
    const value = this.data[field];
    if (!isJsonObject(value) || typeof value.error !== 'string') throw invalid(`data.${field}`, value, 'an object with an `error` string');
    return typeof value.cause === 'string' ? { error: value.error, cause: value.cause } : { error: value.error };
  }

  status(): 'succeeded' | 'failed' {
    const value = this.data.status;
    if (value !== 'succeeded' && value !== 'failed') throw invalid('data.status', value, '`succeeded` or `failed`');
    return value;
  }

  optionalString(field: string): string | undefined {
    const value = this.data[field];
    return typeof value === 'string' ? value : undefined;
  }

  runStatus(): 'succeeded' | 'failed' | 'cancelled' {
    return this.data.status === 'cancelled' ? 'cancelled' : this.status();
  }

  optionalActivationId(): string | undefined {
    const value = this.data.activationId;
    return typeof value === 'string' ? value : undefined;
  }

  outcome(resultField: 'output' | 'result'): Record<string, Json> {
    const outcome: Record<string, Json> = {};
    const result = this.data[resultField];
    if (result !== undefined) outcome[resultField] = result;
    if (this.data.error !== undefined) outcome.error = this.runError();
    return outcome;
  }

  private runError(): JsonObject {
    const error = this.taskError('error') as JsonObject;
    const raw = this.data.error as JsonObject;
    for (const field of ['stageId', 'taskKey', 'activationId']) {
      if (typeof raw[field] === 'string') error[field] = raw[field];
    }
    return error;
  }
}
