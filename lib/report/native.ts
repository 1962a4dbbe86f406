/**
 * The native transport of a task's outcome: fire the workflow's trigger with a
 * `dev.whiskflow.task.completed` or `.task.failed` CloudEvent for one task attempt. Delivery
 * survives throttling (lib/openwhisk/deliver.ts): a throttled platform delays the event but does not
 * lose it; a duplicate is harmless (the orchestrator records each attempt once).
 */
import { taskHeartbeatEvent, taskOutcomeEvent, toPayload, type TaskContext } from '../runtimes/native/events';
import { platformClient, type DeliveryClient } from '../openwhisk/client';
import { deliverEvent } from '../openwhisk/deliver';
import type { Json } from '../model/json';

export interface NativeReportOptions {
  /** Defaults to a client from `__OW_API_HOST` / `__OW_API_KEY`, as inside any action. */
  client?: DeliveryClient;
  /** Activation reporting the outcome; defaults to `__OW_ACTIVATION_ID`. */
  activationId?: string;
  /** Give up retrying a throttled fire at this epoch ms; defaults to `__OW_DEADLINE` minus 2 s. */
  deadline?: number;
}

/** Fires the completion event of the task whose context is `context`; returns the trigger activation id. */
export async function fireTaskOutcome(context: TaskContext, outcome: { result: Json } | { error: Json }, options: NativeReportOptions = {}): Promise<string | undefined> {
  const client = options.client ?? platformClient();
  const activationId = options.activationId ?? process.env.__OW_ACTIVATION_ID;
  const payload = toPayload(taskOutcomeEvent(context, outcome, activationId));
  const deadline = options.deadline ?? (Number(process.env.__OW_DEADLINE) || Date.now() + 60_000) - 2_000;
  const delivery = await deliverEvent(client, context.trigger, context.workflow, payload, deadline);
  return delivery.triggerActivationId;
}

/** Fires a heartbeat of the callback attempt whose context is `context` (its `heartbeatSeconds` starts over). */
export async function fireTaskHeartbeat(context: TaskContext, options: NativeReportOptions = {}): Promise<string | undefined> {
  const client = options.client ?? platformClient();
  const deadline = options.deadline ?? (Number(process.env.__OW_DEADLINE) || Date.now() + 60_000) - 2_000;
  const delivery = await deliverEvent(client, context.trigger, context.workflow, toPayload(taskHeartbeatEvent(context)), deadline);
  return delivery.triggerActivationId;
}
