/**
 * The CloudEvents the native orchestrator reacts to, and how they arrive as action parameters.
 *
 * Events travel as trigger fires: the structured-mode JSON of a CloudEvent is the fire's payload, so
 * the orchestrator action (the rule's target) receives `specversion`, `type`, `id`, `source`,
 * `data`, ... as parameters. A payload without `specversion` (e.g. `wsk trigger fire whiskflow-x
 * -p input '{...}'`, an alarm, a CouchDB change) is a start request: its `input` field, or else the
 * whole payload, is the input.
 *
 * A start that does not name its run (a plain payload, or a `run.started` without `runId`) gets a
 * start key instead: the id of the orchestrator activation the rule started for it, which the
 * trigger's activation record also names (its rule log line). The orchestrator claims the key
 * before it picks the run id, so the sweep, which finds the key in the record, can fire the same
 * start again without starting a second run (see `startKeys`).
 */
import { CloudEvent } from 'cloudevents';
import { randomUUID } from 'crypto';
import { InvalidInputError } from '../../errors';
import { isJsonObject, type Json, type JsonObject } from '../../model/json';
import { newRunId, type TaskAttempt } from '../../store/run-documents';
import { withPosition } from '../../store/legacy-position';
import type { Workflow } from '../../model/workflow';
import { EVENT_TYPES, TASK_HEARTBEAT_TYPE, type TaskError } from '../../events/types';
import { reportedError } from '../../core/reported-error';
import { keyOfCloudEvent, type ExternalEvent } from '../../core/correlation';

/** The event types the orchestrator accepts (the run's vocabulary is lib/events/types.ts). */
const ACCEPTED_TYPES = [EVENT_TYPES.runStarted, EVENT_TYPES.taskCompleted, EVENT_TYPES.taskFailed, EVENT_TYPES.taskTimedOut, TASK_HEARTBEAT_TYPE];

/** Identifies one attempt of one task; travels through the task conductor's state (defined with the run documents, which store it as a child run's parent). */
export type TaskContext = TaskAttempt;

export type OrchestratorEvent =
  | {
    type: 'run.started'; eventId: string; workflow: string; runId: string; input: Json; definition?: Workflow;
    /** Set when the start does not name its run: every handler of the same start claims this key, and the first one's run id counts. */
    startKey?: string;
  }
  | { type: 'task.completed'; eventId: string; task: TaskContext; result: Json; activationId?: string }
  | { type: 'task.failed'; eventId: string; task: TaskContext; error: Json; activationId?: string }
  | { type: 'task.timed-out'; eventId: string; task: TaskContext; timeoutMs: number }
  /** A callback attempt's heartbeat (due-attempts.ts): recorded, no run state changes. */
  | { type: 'task.heartbeat'; eventId: string; task: TaskContext }
  /** A CloudEvent of another type: an external event for the workflow's `event` stages (event-waits.ts). */
  | { type: 'external'; eventId: string; workflow: string; event: ExternalEvent };

const SOURCE = '/whiskflow';

export function runStartedEvent(workflow: string, runId: string, input: Json): CloudEvent<JsonObject> {
  return new CloudEvent<JsonObject>({ type: EVENT_TYPES.runStarted, source: `${SOURCE}/${workflow}`, subject: runId, data: { workflow, runId, input } });
}

/** A heartbeat of a callback attempt; each has an id of its own (none is a duplicate of another). */
export function taskHeartbeatEvent(task: TaskContext, at = Date.now()): CloudEvent<JsonObject> {
  return taskEvent(task, TASK_HEARTBEAT_TYPE, `heartbeat-${at}-${randomUUID().slice(0, 8)}`, {});
}

/**
 * The keys of starts that do not name their run. Both are read from the trigger activation that
 * recorded the fire: OpenWhisk logs one line per rule there, with the activation id of the action it
 * started (apache/openwhisk Triggers.scala), and the orchestrator knows its own activation id
 * (`__OW_ACTIVATION_ID`). A fire whose rule did not start the orchestrator (a 429) has only the
 * trigger activation's id; no orchestrator ever ran for it, so the sweep alone uses that key.
 */
export const startKeys = {
  orchestrator: (activationId: string) => `a-${activationId}`,
  refusedFire: (triggerActivationId: string) => `t-${triggerActivationId}`,
};

/** A start that does not name its run, fired again by the sweep under its start key. */
export function keyedStartEvent(workflow: string, startKey: string, input: Json): CloudEvent<JsonObject> {
  return new CloudEvent<JsonObject>({ id: startKey, type: EVENT_TYPES.runStarted, source: `${SOURCE}/${workflow}`, data: { workflow, startKey, input } });
}

/** The id of an attempt's event: a delivery of the same outcome again has the same id. */
function taskEventId(task: TaskContext, suffix: string): string {
  return task.taskKey ? `${task.runId}/${task.taskKey}/${suffix}` : `${task.runId}/${task.position}/${task.index}/${task.attempt}/${suffix}`;
}

/**
 * A task event of one attempt as the native runtime fires it: the data of lib/events/types.ts
 * (`runId`, `stageId`, `taskKey`, then `result`, `error` or `timeoutMs`, and `activationId`), the
 * same as under the streaming engine, plus `task`, the attempt's context with its token: where the
 * orchestrator stores the attempt, and what authenticates the event (the token covers the task key
 * and stage; parseEvent refuses data that disagrees with them). The id is the core's
 * (`<run>/<taskKey>/<completed|failed|timed-out>`), so that a re-report is a duplicate.
 */
function taskEvent(task: TaskContext, type: TaskEventType, suffix: string, fields: JsonObject): CloudEvent<JsonObject> {
  const data: JsonObject = { runId: task.runId, stageId: task.stageId, ...(task.taskKey ? { taskKey: task.taskKey } : {}), ...fields, task: task as unknown as JsonObject };
  return new CloudEvent<JsonObject>({
    id: taskEventId(task, suffix),
    type,
    source: `${SOURCE}/${task.workflow}`,
    subject: task.runId,
    data,
  });
}

type TaskEventType = typeof EVENT_TYPES.taskCompleted | typeof EVENT_TYPES.taskFailed | typeof EVENT_TYPES.taskTimedOut | typeof TASK_HEARTBEAT_TYPE;

/** The completion or failure of one attempt; a failure's `error` is the task error it means (`{ error, cause }`). */
export function taskOutcomeEvent(task: TaskContext, outcome: { result: Json } | { error: Json }, activationId?: string): CloudEvent<JsonObject> {
  const reported: JsonObject = activationId ? { activationId } : {};
  if ('error' in outcome) return taskEvent(task, EVENT_TYPES.taskFailed, 'failed', { error: taskErrorOf(outcome.error) as unknown as JsonObject, ...reported });
  return taskEvent(task, EVENT_TYPES.taskCompleted, 'completed', { result: outcome.result, ...reported });
}

/**
 * The event `parseEvent` reads from `taskOutcomeEvent(task, outcome, activationId)` once fired, built
 * directly: the task conductor applies its own completion (conductor-completion.ts), and building
 * a CloudEvent, serializing it and parsing it back (two validations by the cloudevents library, a
 * deep copy of the result) was a fair share of its CPU per task, on the path of every transition.
 */
export function taskOutcomeOf(task: TaskContext, outcome: { result: Json } | { error: Json }, activationId?: string): OrchestratorEvent {
  const reported = activationId ? { activationId } : {};
  if ('error' in outcome) return { type: 'task.failed', eventId: taskEventId(task, 'failed'), task, error: taskErrorOf(outcome.error) as unknown as JsonObject, ...reported };
  return { type: 'task.completed', eventId: taskEventId(task, 'completed'), task, result: outcome.result ?? null, ...reported };
}

/** The attempt's timer ran out before its outcome (actions/timer.ts): the same event the streaming engine applies. */
export function taskTimedOutEvent(task: TaskContext, timeoutMs: number): CloudEvent<JsonObject> {
  return taskEvent(task, EVENT_TYPES.taskTimedOut, 'timed-out', { timeoutMs });
}

/**
 * A reported error (an action's `error` field, a child run's failure) as a task error: one already
 * in that shape keeps its fields (a child run's names the stage and activation that failed), any
 * other is read as the core reads an action's error.
 */
function taskErrorOf(error: Json): TaskError {
  if (isJsonObject(error) && typeof error.error === 'string' && typeof error.cause === 'string') return error as unknown as TaskError;
  const { stageId: _stageId, ...taskError } = reportedError(error, '', undefined);
  return taskError;
}

/** The fields of an event's data that must agree with its (sealed) task context. */
function checkAgainstContext(data: JsonObject, task: TaskContext): void {
  const disagrees = (key: 'runId' | 'stageId' | 'taskKey') => data[key] !== undefined && data[key] !== task[key];
  const field = (['runId', 'stageId', 'taskKey'] as const).find(disagrees);
  if (field) throw new InvalidInputError(`the event's ${field} '${String(data[field])}' is not its task context's`, { field });
}

/** Structured-mode JSON of an event, as fired to a trigger. */
export function toPayload(event: CloudEvent<JsonObject>): JsonObject {
  return JSON.parse(JSON.stringify(event.toJSON())) as JsonObject;
}

/**
 * The parameters without the ones the platform adds under its reserved `__ow_` prefix: OpenWhisk 2.0
 * passes a trigger fire's request headers to the rules' actions as `__ow_headers`, which is neither
 * a CloudEvent attribute (the CloudEvent constructor refuses the name) nor part of a run's input.
 */
export function withoutPlatformContext(params: JsonObject): JsonObject {
  if (!Object.keys(params).some((key) => key.startsWith('__ow_'))) return params;
  return Object.fromEntries(Object.entries(params).filter(([key]) => !key.startsWith('__ow_')));
}

/**
 * `wsk trigger fire … -p specversion 1.0` sends the number 1 (wsk reads parameter values as JSON
 * when they parse): a CloudEvent given parameter by parameter has its spec version back as text.
 */
function withSpecVersionText(params: JsonObject): JsonObject {
  return typeof params.specversion === 'number' && typeof params.type === 'string' ? { ...params, specversion: params.specversion.toFixed(1) } : params;
}

/**
 * Reads an event from action parameters (configuration parameters already removed).
 * `workflow` is the deployed workflow the trigger belongs to; `activationId`, the orchestrator
 * activation handling it (the start key of a start that does not name its run).
 */
export function parseEvent(given: JsonObject, workflow: string, activationId?: string): OrchestratorEvent {
  const params = withSpecVersionText(withoutPlatformContext(given));
  const ownKey = activationId ? { startKey: startKeys.orchestrator(activationId) } : {};
  if (typeof params.specversion !== 'string') {
    return { type: 'run.started', eventId: randomUUID(), workflow, runId: newRunId(), input: plainStartInput(params), ...ownKey };
  }
  const event = new CloudEvent<unknown>(params as never);
  const data = isJsonObject(event.data as Json) ? (event.data as JsonObject) : {};
  switch (event.type) {
    case EVENT_TYPES.runStarted: {
      const request = runStartedRequest(data);
      if ('runId' in request) return { type: 'run.started', eventId: event.id, workflow, runId: request.runId, input: request.input };
      return { type: 'run.started', eventId: event.id, workflow, runId: newRunId(), input: request.input, ...(request.startKey ? { startKey: request.startKey } : ownKey) };
    }
    case EVENT_TYPES.taskTimedOut: {
      const timeoutMs = data.timeoutMs;
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new InvalidInputError('a task.timed-out event needs a non-negative timeoutMs', { timeoutMs: timeoutMs ?? null });
      const task = parseTaskContext(data.task);
      checkAgainstContext(data, task);
      return { type: 'task.timed-out', eventId: event.id, task, timeoutMs };
    }
    case TASK_HEARTBEAT_TYPE: {
      const task = parseTaskContext(data.task);
      checkAgainstContext(data, task);
      return { type: 'task.heartbeat', eventId: event.id, task };
    }
    case EVENT_TYPES.taskCompleted:
    case EVENT_TYPES.taskFailed: {
      const task = parseTaskContext(data.task);
      checkAgainstContext(data, task);
      const activationId = typeof data.activationId === 'string' ? data.activationId : undefined;
      const common = { eventId: event.id, task, ...(activationId ? { activationId } : {}) };
      return event.type === EVENT_TYPES.taskCompleted
        ? { type: 'task.completed', ...common, result: data.result ?? null }
        : { type: 'task.failed', ...common, error: data.error ?? 'unknown error' };
    }
    default:
      if (event.type.startsWith('dev.whiskflow.')) throw new InvalidInputError(`unknown event type '${event.type}'`, { expected: ACCEPTED_TYPES });
      return { type: 'external', eventId: event.id, workflow, event: externalEventOf(params, event.id, event.type, event.time ?? new Date().toISOString(), event.data) };
  }
}

/** An external CloudEvent as event stages receive it; its correlation key is its `key` attribute, else its `subject`. */
export function externalEventOf(params: JsonObject, id: string, type: string, time: string, data: unknown): ExternalEvent {
  const key = keyOfCloudEvent(params);
  if (key === undefined) {
    throw new InvalidInputError(`unknown event type '${type}': not a whiskflow event, and as an external event for an event stage it needs a correlation key: a 'key' attribute (or a 'subject'), a string or number of at most 200 characters`, { type });
  }
  const event: ExternalEvent = { id, type, key, time, data: (data ?? null) as Json };
  if (typeof params.source === 'string') event.source = params.source;
  return event;
}

/**
 * The run id a `run.started` event's data asks for, when it is one the orchestrator keeps (else it
 * picks a fresh one). No `.`: child runs are named `<parent>.s<position>b<index>a<attempt>`, and a
 * started run must not take one's id.
 */
export function requestedRunId(data: JsonObject): string | undefined {
  return typeof data.runId === 'string' && /^[\w-]{1,80}$/.test(data.runId) ? data.runId : undefined;
}

function requestedStartKey(data: JsonObject): string | undefined {
  return typeof data.startKey === 'string' && /^[\w-]{1,100}$/.test(data.startKey) ? data.startKey : undefined;
}

/** The input a start payload without `specversion` starts its run with. */
export function plainStartInput(params: JsonObject): Json {
  return 'input' in params ? params.input ?? null : params;
}

/**
 * What a fired payload starts, whoever handles it: the run a `run.started` CloudEvent names (as
 * `whiskflow run` fires it); or, for a start that names no run (a plain payload, a feed's event,
 * a `run.started` without `runId`), its input and the start key it carries (a fire again by the
 * sweep), if any. Undefined for completions and other events.
 */
export type StartRequest = { runId: string; input: Json } | { startKey?: string; input: Json };

export function startRequestOf(payload: unknown): StartRequest | undefined {
  if (!isJsonObject(payload as Json)) return undefined;
  const event = withSpecVersionText(payload as JsonObject);
  if (typeof event.specversion !== 'string') return { input: plainStartInput(event) };
  if (event.type !== EVENT_TYPES.runStarted) return undefined;
  return runStartedRequest(isJsonObject(event.data as Json) ? (event.data as JsonObject) : {});
}

/** What a `run.started` event's data asks for: the run it names, or else the start key it carries; and the input. */
function runStartedRequest(data: JsonObject): StartRequest {
  const input = data.input ?? null;
  const runId = requestedRunId(data);
  if (runId) return { runId, input };
  const startKey = requestedStartKey(data);
  return { ...(startKey ? { startKey } : {}), input };
}

export function parseTaskContext(value: unknown): TaskContext {
  if (!isJsonObject(value as Json)) throw new InvalidInputError('task context missing from event', {});
  // An attempt started by an earlier version (a conductor, timer or callback token in flight) names its position `seq`.
  const task = withPosition(value as Record<string, unknown>);
  const text = (key: string): string => {
    if (typeof task[key] !== 'string') throw new InvalidInputError(`task context field '${key}' must be a string`, { key });
    return task[key] as string;
  };
  const count = (key: string): number => {
    if (!Number.isInteger(task[key])) throw new InvalidInputError(`task context field '${key}' must be an integer`, { key });
    return task[key] as number;
  };
  const context: TaskContext = { runId: text('runId'), workflow: text('workflow'), position: count('position'), index: count('index'), attempt: count('attempt'), trigger: text('trigger'), stageId: text('stageId') };
  if (typeof task.taskKey === 'string') context.taskKey = task.taskKey;
  if (typeof task.token === 'string') context.token = task.token;
  return context;
}
