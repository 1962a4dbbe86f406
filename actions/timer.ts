/**
 * `whiskflow/timer`: enforces a task's `timeout` without blocking the orchestrator. Invoked
 * non-blocking when an attempt starts; sleeps, then fires the attempt's `task.timed-out` event (the
 * same event the streaming engine applies: the attempt fails with `whiskflow.Timeout`). If the
 * attempt finished first, the orchestrator ignores it.
 * Its own time limit (set at deploy) bounds the longest task timeout it can enforce.
 */
import { TASK_PARAM } from '../lib/runtimes/native/invoker';
import { parseTaskContext, taskTimedOutEvent, toPayload } from '../lib/runtimes/native/events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '../lib/model/json';
import { platformClient } from '../lib/openwhisk/client';
import { deliverEvent } from '../lib/openwhisk/deliver';
import { toActionError } from '../lib/runtimes/native/action-error';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const context = parseTaskContext(params[TASK_PARAM]);
    const timeoutMs = typeof params.timeoutMs === 'number' ? params.timeoutMs : 0;
    const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + timeoutMs + 10_000;
    await sleep(Math.min(timeoutMs, Math.max(0, deadline - Date.now() - 3_000)));
    await deliverEvent(platformClient(), context.trigger, context.workflow, toPayload(taskTimedOutEvent(context, timeoutMs)), deadline - 500);
    return { timedOut: true, runId: context.runId, position: context.position, index: context.index, attempt: context.attempt };
  } catch (error) {
    return toActionError(error);
  }
}
