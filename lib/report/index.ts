/**
 * Completion reporting: fire the workflow's trigger with a `dev.whiskflow.task.completed` or
 * `.task.failed` CloudEvent for one task attempt.
 *
 * Used by the task conductor (actions/task.ts) for unmodified user actions, and by TS/JS actions
 * that report themselves: annotate such an action `whiskflow-report: self`, and the orchestrator
 * invokes it directly with its task context in the `__whiskflow` parameter:
 *
 *   import { reportTaskOutcome } from 'whiskflow/lib/report';
 *   export async function main(params) {
 *     const result = { sum: params.numbers.reduce((a, b) => a + b, 0) };
 *     await reportTaskOutcome(params, { result });
 *     return result;
 *   }
 *
 * Delivery survives throttling (see lib/openwhisk/deliver.ts): a throttled platform delays the event but does not
 * lose it; a duplicate is harmless (the orchestrator records each attempt once).
 */
import { InvalidInputError } from '../errors';
import { parseTaskContext, taskOutcomeEvent, toPayload, type TaskContext } from '../runtimes/native/events';
import { SELF_REPORT_PARAM } from '../runtimes/native/invoker';
import { platformClient, type DeliveryClient } from '../openwhisk/client';
import { deliverEvent } from '../openwhisk/deliver';
import type { Json } from '../model/json';

export type TaskOutcome = { result: Json } | { error: Json };


export interface ReportOptions {
  /** Defaults to a client from `__OW_API_HOST` / `__OW_API_KEY`, as inside any action. */
  client?: DeliveryClient;
  /** Activation reporting the outcome; defaults to `__OW_ACTIVATION_ID`. */
  activationId?: string;
  /** Give up retrying a throttled fire at this epoch ms; defaults to `__OW_DEADLINE` minus 2 s. */
  deadline?: number;
}

/** Fires the completion event of the task whose context is `context`; returns the trigger activation id. */
export async function fireTaskOutcome(context: TaskContext, outcome: TaskOutcome, options: ReportOptions = {}): Promise<string | undefined> {
  const client = options.client ?? platformClient();
  const activationId = options.activationId ?? process.env.__OW_ACTIVATION_ID;
  const payload = toPayload(taskOutcomeEvent(context, outcome, activationId));
  const deadline = options.deadline ?? (Number(process.env.__OW_DEADLINE) || Date.now() + 60_000) - 2_000;
  const delivery = await deliverEvent(client, context.trigger, context.workflow, payload, deadline);
  return delivery.triggerActivationId;
}

/** For self-reporting actions: reads the task context from the action's parameters and fires. */
export async function reportTaskOutcome(params: Record<string, unknown>, outcome: TaskOutcome, options: ReportOptions = {}): Promise<string | undefined> {
  const context = params[SELF_REPORT_PARAM];
  if (context === undefined) {
    throw new InvalidInputError(`no '${SELF_REPORT_PARAM}' parameter: this action was not started by whiskflow with report mode 'self'`, {});
  }
  return fireTaskOutcome(parseTaskContext(context), outcome, options);
}
