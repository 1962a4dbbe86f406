/**
 * Reporting the outcome of a callback task (`callback: true`) from wherever the work was done: the
 * action received a token (`whiskflowToken`), handed it on, and whoever finishes calls
 *
 *   import { completeCallback } from 'whiskflow/lib/report/callback';
 *   await completeCallback(token, { result: { approved: true } });   // or { error: 'Rejected' }
 *   await heartbeatCallback(token);   // still working: a task with `heartbeatSeconds` waits on
 *
 * A native token fires the workflow's trigger with the attempt's completion, exactly as a
 * self-reporting action does (so it is checked by its HMAC like any completion); a streaming token
 * produces the completion to the stream given in `stream`. Reporting twice is harmless: the first
 * outcome of an attempt counts.
 */
import { InvalidInputError } from '../errors';
import { decodeCallbackToken } from '../events/callback-token';
import { parseTaskKey } from '../events/task-key';
import { taskErrorFromResult } from '../events/activation';
import type { Json } from '../model/json';
import { parseTaskContext } from '../runtimes/native/events';
import { reportToStream } from '../runtimes/streaming/report';
import type { EventStream } from '../runtimes/streaming/brokers';
import { fireTaskOutcome, type ReportOptions, type TaskOutcome } from './index';
import { fireTaskHeartbeat } from './native';

export interface CallbackOptions extends ReportOptions {
  /** For a streaming token: the stream its engine consumes. */
  stream?: EventStream;
}

/** Reports `outcome` for the callback task `token` names; returns which model it went to. */
export async function completeCallback(token: string, outcome: TaskOutcome, options: CallbackOptions = {}): Promise<{ model: 'native' | 'streaming'; runId: string }> {
  const attempt = decodeCallbackToken(token);
  if (attempt.model === 'native') {
    const context = parseTaskContext(attempt.context);
    await fireTaskOutcome(context, outcome, options);
    return { model: 'native', runId: context.runId };
  }
  if (!options.stream) throw new InvalidInputError('a streaming callback token is reported to its stream: pass `stream`', { runId: attempt.runId });
  const task = { runId: attempt.runId, stageId: parseTaskKey(attempt.taskKey).stageId, taskKey: attempt.taskKey, completionTopic: attempt.completionTopic, token: attempt.mac };
  const reported = 'result' in outcome ? { result: outcome.result } : { error: taskErrorFromResult({ error: outcome.error } as Json) };
  await reportToStream(options.stream, task, reported);
  return { model: 'streaming', runId: attempt.runId };
}

/**
 * Reports that the work for `token` goes on: a callback task with `heartbeatSeconds` fails with
 * `whiskflow.HeartbeatTimeout` when no heartbeat came for that long. Native tokens only: under the
 * streaming model the heartbeat is the engine's to carry (it is refused here, naming why).
 */
export async function heartbeatCallback(token: string, options: CallbackOptions = {}): Promise<{ model: 'native'; runId: string }> {
  const attempt = decodeCallbackToken(token);
  if (attempt.model !== 'native') throw new InvalidInputError('heartbeats of streaming callback tasks are not carried yet: report the outcome, or give the task a timeout instead', { runId: attempt.runId });
  const context = parseTaskContext(attempt.context);
  await fireTaskHeartbeat(context, options);
  return { model: 'native', runId: context.runId };
}

/** The workflow a callback token belongs to (to find the stream of a streaming one). */
export function workflowOfToken(token: string): string {
  const attempt = decodeCallbackToken(token);
  return attempt.model === 'native' ? String(attempt.context.workflow) : attempt.workflow;
}
