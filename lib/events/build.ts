/**
 * Builders for run events with deterministic ids (see `types.ts` for why). Pass `id` only to
 * override, e.g. with the id of an incoming CloudEvent.
 */
import type { Json } from '../model/json';
import { parseTaskKey } from './task-key';
import {
  EVENT_TYPES,
  type RunError,
  type RunCancelledEvent,
  type RunFinishedEvent,
  type RunStartedEvent,
  type StageCompletedEvent,
  type TaskCompletedEvent,
  type TaskError,
  type TaskFailedEvent,
  type TaskTimedOutEvent,
  heartbeatTimeoutError,
} from './types';

interface Timing {
  time: string;
  id?: string;
}

export function runStarted(args: { runId: string; workflow: string; input: Json } & Timing): RunStartedEvent {
  return {
    type: EVENT_TYPES.runStarted,
    id: args.id ?? `${args.runId}/run.started`,
    time: args.time,
    data: { runId: args.runId, workflow: args.workflow, input: args.input },
  };
}

export function taskCompleted(args: { runId: string; taskKey: string; result: Json; activationId?: string } & Timing): TaskCompletedEvent {
  const data: TaskCompletedEvent['data'] = { runId: args.runId, stageId: parseTaskKey(args.taskKey).stageId, taskKey: args.taskKey, result: args.result };
  if (args.activationId !== undefined) data.activationId = args.activationId;
  return { type: EVENT_TYPES.taskCompleted, id: args.id ?? `${args.runId}/${args.taskKey}/completed`, time: args.time, data };
}

export function taskFailed(args: { runId: string; taskKey: string; error: TaskError; activationId?: string } & Timing): TaskFailedEvent {
  const data: TaskFailedEvent['data'] = { runId: args.runId, stageId: parseTaskKey(args.taskKey).stageId, taskKey: args.taskKey, error: args.error };
  if (args.activationId !== undefined) data.activationId = args.activationId;
  return { type: EVENT_TYPES.taskFailed, id: args.id ?? `${args.runId}/${args.taskKey}/failed`, time: args.time, data };
}

export function taskTimedOut(args: { runId: string; taskKey: string; timeoutMs: number } & Timing): TaskTimedOutEvent {
  return {
    type: EVENT_TYPES.taskTimedOut,
    id: args.id ?? `${args.runId}/${args.taskKey}/timed-out`,
    time: args.time,
    data: { runId: args.runId, stageId: parseTaskKey(args.taskKey).stageId, taskKey: args.taskKey, timeoutMs: args.timeoutMs },
  };
}

/**
 * A callback attempt's heartbeats stopped: its failure `whiskflow.HeartbeatTimeout`. An attempt has
 * one outcome, so the id is the attempt's failure id: a report that arrives too late is its duplicate.
 */
export function heartbeatTimedOut(args: { runId: string; taskKey: string; heartbeatMs: number } & Timing): TaskFailedEvent {
  return taskFailed({ ...args, error: heartbeatTimeoutError(args.heartbeatMs) });
}

export function stageCompleted(
  args: { runId: string; stageId: string; seq: number } & ({ status: 'succeeded'; output: Json } | { status: 'failed'; error: RunError }) & Timing,
): StageCompletedEvent {
  const data: StageCompletedEvent['data'] = { runId: args.runId, stageId: args.stageId, seq: args.seq, status: args.status };
  if (args.status === 'succeeded') data.output = args.output;
  else data.error = args.error;
  return { type: EVENT_TYPES.stageCompleted, id: args.id ?? `${args.runId}/${args.stageId}:${args.seq}/completed`, time: args.time, data };
}

export function runFinished(
  args: { runId: string } & ({ status: 'succeeded'; result: Json } | { status: 'failed' | 'cancelled'; error: RunError }) & Timing,
): RunFinishedEvent {
  const data: RunFinishedEvent['data'] = { runId: args.runId, status: args.status };
  if (args.status === 'succeeded') data.result = args.result;
  else data.error = args.error;
  return { type: EVENT_TYPES.runFinished, id: args.id ?? `${args.runId}/run.finished`, time: args.time, data };
}

/** `whiskflow cancel`: one id per run, so that cancelling twice is a duplicate. */
export function runCancelled(args: { runId: string; reason: string } & Timing): RunCancelledEvent {
  return { type: EVENT_TYPES.runCancelled, id: args.id ?? `${args.runId}/run.cancelled`, time: args.time, data: { runId: args.runId, reason: args.reason } };
}
