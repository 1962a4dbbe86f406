/**
 * The CloudEvents the native orchestrator reacts to, and how they arrive as action parameters.
 *
 * Events travel as trigger fires: the structured-mode JSON of a CloudEvent is the fire's payload, so
 * the orchestrator action (the rule's target) receives `specversion`, `type`, `id`, `source`,
 * `data`, ... as parameters. A payload without `specversion` (e.g. `wsk trigger fire whiskflow-x
 * -p input '{...}'`) is a start request: its `input` field, or else the whole payload, is the input.
 */
import { CloudEvent } from 'cloudevents';
import { randomUUID } from 'crypto';
import { InvalidInputError } from '../../errors';
import { isJsonObject, type Json, type JsonObject } from '../../model/json';
import { newRunId, type TaskAttempt } from '../../store/run-documents';
import type { Workflow } from '../../model/workflow';

export const EVENT_TYPES = {
  runStarted: 'dev.whiskflow.run.started',
  taskCompleted: 'dev.whiskflow.task.completed',
  taskFailed: 'dev.whiskflow.task.failed',
} as const;

/** Identifies one attempt of one task; travels through the task conductor's state (defined with the run documents, which store it as a child run's parent). */
export type TaskContext = TaskAttempt;

export type OrchestratorEvent =
  | { type: 'run.started'; eventId: string; workflow: string; runId: string; input: Json; definition?: Workflow }
  | { type: 'task.completed'; eventId: string; task: TaskContext; result: Json; activationId?: string }
  | { type: 'task.failed'; eventId: string; task: TaskContext; error: Json; activationId?: string };

const SOURCE = '/whiskflow';

export function runStartedEvent(workflow: string, runId: string, input: Json): CloudEvent<JsonObject> {
  return new CloudEvent<JsonObject>({ type: EVENT_TYPES.runStarted, source: `${SOURCE}/${workflow}`, subject: runId, data: { workflow, runId, input } });
}

/** The completion of one attempt; its id is the attempt's identity, so that re-reports are duplicates. */
export function taskOutcomeEvent(task: TaskContext, outcome: { result: Json } | { error: Json }, activationId?: string): CloudEvent<JsonObject> {
  const failed = 'error' in outcome;
  return new CloudEvent<JsonObject>({
    id: `${task.runId}/${task.seq}/${task.index}/${task.attempt}`,
    type: failed ? EVENT_TYPES.taskFailed : EVENT_TYPES.taskCompleted,
    source: `${SOURCE}/${task.workflow}`,
    subject: task.runId,
    data: { task: task as unknown as JsonObject, ...outcome, ...(activationId ? { activationId } : {}) },
  });
}

/** Structured-mode JSON of an event, as fired to a trigger. */
export function toPayload(event: CloudEvent<JsonObject>): JsonObject {
  return JSON.parse(JSON.stringify(event.toJSON())) as JsonObject;
}

/**
 * Reads an event from action parameters (configuration parameters already removed).
 * `workflow` is the deployed workflow the trigger belongs to.
 */
export function parseEvent(params: JsonObject, workflow: string): OrchestratorEvent {
  if (typeof params.specversion !== 'string') {
    const input = 'input' in params ? params.input ?? null : params;
    return { type: 'run.started', eventId: randomUUID(), workflow, runId: newRunId(), input };
  }
  const event = new CloudEvent<unknown>(params as never);
  const data = isJsonObject(event.data as Json) ? (event.data as JsonObject) : {};
  switch (event.type) {
    case EVENT_TYPES.runStarted:
      return {
        type: 'run.started', eventId: event.id, workflow,
        runId: requestedRunId(data) ?? newRunId(),
        input: data.input ?? null,
      };
    case EVENT_TYPES.taskCompleted:
    case EVENT_TYPES.taskFailed: {
      const task = parseTaskContext(data.task);
      const activationId = typeof data.activationId === 'string' ? data.activationId : undefined;
      const common = { eventId: event.id, task, ...(activationId ? { activationId } : {}) };
      return event.type === EVENT_TYPES.taskCompleted
        ? { type: 'task.completed', ...common, result: data.result ?? null }
        : { type: 'task.failed', ...common, error: data.error ?? 'unknown error' };
    }
    default:
      throw new InvalidInputError(`unknown event type '${event.type}'`, { expected: Object.values(EVENT_TYPES) });
  }
}

/**
 * The run id a `run.started` event's data asks for, when it is one the orchestrator keeps (else it
 * picks a fresh one). No `.`: child runs are named `<parent>.s<seq>b<index>a<attempt>`, and a
 * started run must not take one's id.
 */
export function requestedRunId(data: JsonObject): string | undefined {
  return typeof data.runId === 'string' && /^[\w-]{1,80}$/.test(data.runId) ? data.runId : undefined;
}

/**
 * The run id of a fired payload that is a `run.started` CloudEvent naming its run (as `whiskflow
 * run` fires it): the run that payload starts, whoever handles it. Undefined for anything else
 * (completions, plain start payloads and feed events, whose run id the orchestrator picks).
 */
export function startedRunIdOf(payload: unknown): string | undefined {
  if (!isJsonObject(payload)) return undefined;
  const event = payload as JsonObject;
  if (typeof event.specversion !== 'string' || event.type !== EVENT_TYPES.runStarted || !isJsonObject(event.data)) return undefined;
  return requestedRunId(event.data as JsonObject);
}

export function parseTaskContext(value: unknown): TaskContext {
  if (!isJsonObject(value as Json)) throw new InvalidInputError('task context missing from event', {});
  const task = value as Record<string, unknown>;
  const text = (key: string): string => {
    if (typeof task[key] !== 'string') throw new InvalidInputError(`task context field '${key}' must be a string`, { key });
    return task[key] as string;
  };
  const count = (key: string): number => {
    if (!Number.isInteger(task[key])) throw new InvalidInputError(`task context field '${key}' must be an integer`, { key });
    return task[key] as number;
  };
  return { runId: text('runId'), workflow: text('workflow'), seq: count('seq'), index: count('index'), attempt: count('attempt'), trigger: text('trigger'), stageId: text('stageId') };
}
