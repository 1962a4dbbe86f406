/**
 * The self-report API of user actions, one for both execution models. An action that reports its
 * own completion (annotation `whiskflow-report: self` natively, `--self-reporting` for the streaming
 * engines) calls the same functions under either model; which transport carries the outcome is
 * chosen from what the action was invoked with, never by the action:
 * - natively, the orchestrator hands the task context as `__whiskflow`, and the outcome is fired
 *   into the workflow's trigger as a `dev.whiskflow.task.completed`/`.failed` CloudEvent;
 * - under the streaming engines, the Rule Engine hands it as `__whiskflow_stream`, and the outcome is
 *   produced to the run's completion topic (the stream URL is bound to the action as
 *   `__whiskflow_stream_url` or set as WHISKFLOW_STREAM_URL, never sent in the task context).
 *
 *   import { reportingAction } from 'whiskflow/lib/report';
 *   export const main = reportingAction(async (params) => ({ sum: params.numbers.reduce((a, b) => a + b, 0) }));
 *
 * or, to report at a moment of the action's choosing:
 *
 *   import { reportTaskOutcome } from 'whiskflow/lib/report';
 *   export async function main(params) {
 *     const result = { sum: params.numbers.reduce((a, b) => a + b, 0) };
 *     await reportTaskOutcome(params, { result });
 *     return result;
 *   }
 *
 * Reporting twice is harmless under both models (the event id is the attempt's). The task conductor
 * (actions/task.ts) and the timer import `fireTaskOutcome`, the native transport, from ./native
 * directly, so that their bundles carry no broker client.
 */
import { InvalidInputError } from '../errors';
import { isJsonObject, type Json, type JsonObject } from '../model/json';
import { SELF_REPORT_PARAM } from '../runtimes/native/invoker';
import { parseTaskContext } from '../runtimes/native/events';
import { STREAM_TASK_PARAM, STREAM_URL_PARAM, streamTaskOf } from '../runtimes/streaming/report';
import { fireTaskOutcome, type NativeReportOptions } from './native';
import { produceTaskOutcome, type StreamReportOptions } from './stream';

export { fireTaskOutcome } from './native';

/** What a task attempt ended with: its result, or its error (a name, or `{ name, message }` as Node errors look). */
export type TaskOutcome = { result: Json } | { error: Json };

export type ReportOptions = NativeReportOptions & StreamReportOptions;

/** The parameters whiskflow adds to a self-reporting action's own (task context, stream URL). */
const TRANSPORT_PARAMS = [SELF_REPORT_PARAM, STREAM_TASK_PARAM, STREAM_URL_PARAM];

/** Whether whiskflow (either model) started this invocation as a self-reporting task. */
export function startedByWhiskflow(params: Record<string, unknown>): boolean {
  return params[SELF_REPORT_PARAM] !== undefined || params[STREAM_TASK_PARAM] !== undefined;
}

/**
 * Reports `outcome` for the task whose context `params` carry, by the transport of the model that
 * started it. Resolves with the trigger activation id (native) or undefined (streaming).
 */
export async function reportTaskOutcome(params: Record<string, unknown>, outcome: TaskOutcome, options: ReportOptions = {}): Promise<string | undefined> {
  if (params[SELF_REPORT_PARAM] !== undefined) return fireTaskOutcome(parseTaskContext(params[SELF_REPORT_PARAM]), outcome, options);
  const streamTask = streamTaskOf(params as JsonObject);
  if (streamTask) {
    await produceTaskOutcome(streamTask, outcome, params[STREAM_URL_PARAM], options);
    return undefined;
  }
  throw new InvalidInputError(`no '${SELF_REPORT_PARAM}' or '${STREAM_TASK_PARAM}' parameter: this action was not started by whiskflow as a self-reporting task`, {});
}

export type ActionMain = (params: JsonObject) => Promise<Json> | Json;

/**
 * Wraps an action's `main` so that its outcome is reported before the action returns: its result,
 * or a failure when it returns `{ error }` or throws. `main` sees the action's own parameters only.
 * Invoked by anything but whiskflow, the wrapped action runs as it is and reports nothing.
 */
export function reportingAction(main: ActionMain, options: ReportOptions = {}): (params: JsonObject) => Promise<Json> {
  return async (params) => {
    const own = Object.fromEntries(Object.entries(params).filter(([key]) => !TRANSPORT_PARAMS.includes(key))) as JsonObject;
    if (!startedByWhiskflow(params)) return main(own);
    let outcome: TaskOutcome;
    let returned: Json;
    try {
      returned = await main(own);
      outcome = isJsonObject(returned) && returned.error !== undefined ? { error: returned.error } : { result: returned };
    } catch (thrown) {
      const error = thrown instanceof Error ? { name: thrown.name, message: thrown.message } : { name: 'whiskflow.ActionFailed', message: String(thrown) };
      returned = { error: error.message };
      outcome = { error };
    }
    await reportTaskOutcome(params, outcome, options);
    return returned;
  };
}
