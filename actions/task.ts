/**
 * The task conductor (`whiskflow/task`, annotation `conductor: true`): runs one unmodified user
 * action and reports its completion, with nothing blocking in between (apache/openwhisk
 * docs/conductors.md).
 *
 * 1st activation (invoked non-blocking by the orchestrator): returns the continuation
 *    `{ action, params, state }`; the platform then runs the user's action.
 * 2nd activation: the platform re-activates the conductor with the action's output merged with
 *    `state`. An `error` field means the action failed (or timed out): fire `task.failed`, else
 *    `task.completed`, then end the composition.
 */
import { TASK_PARAM } from '../lib/runtimes/native/invoker';
import { parseTaskContext } from '../lib/runtimes/native/events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isJsonObject, type Json, type JsonObject } from '../lib/model/json';
import { fireTaskOutcome } from '../lib/report/native';
import { toActionError } from '../lib/runtimes/native/action-error';
import { checkInvocable } from '../lib/runtimes/native/action-check';
import { platformClient } from '../lib/openwhisk/client';

/** Key of the conductor state; chosen so it cannot collide with a user action's output fields. */
const STATE_PARAM = '__whiskflow_state';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const start = params[TASK_PARAM];
    if (isJsonObject(start)) {
      const context = parseTaskContext(start.context);
      const delayMs = typeof start.delayMs === 'number' ? start.delayMs : 0;
      // Retry backoff: waiting here keeps the orchestrator free; bounded by this activation's deadline.
      const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + 60_000;
      if (delayMs > 0) await sleep(Math.min(delayMs, Math.max(0, deadline - Date.now() - 1_000)));
      const action = String(start.action);
      // A component the platform cannot resolve ends the composition without a second conductor
      // run: report the failed attempt now (lib/runtimes/native/action-check.ts).
      const invocable = await checkInvocable(platformClient(), action);
      if (!invocable.ok) {
        const triggerActivation = await fireTaskOutcome(context, { error: invocable.error });
        return { params: { reported: 'task.failed', runId: context.runId, seq: context.seq, index: context.index, attempt: context.attempt, error: invocable.error, triggerActivation: triggerActivation ?? null } };
      }
      return { action, params: isJsonObject(start.params) ? start.params : {}, state: { [STATE_PARAM]: context as unknown as JsonObject } };
    }
    const { [STATE_PARAM]: state, ...output } = params;
    const context = parseTaskContext(state);
    const outcome = 'error' in output ? { error: (output.error ?? 'unknown error') as Json } : { result: output };
    const triggerActivation = await fireTaskOutcome(context, outcome);
    return { params: { reported: 'error' in outcome ? 'task.failed' : 'task.completed', runId: context.runId, seq: context.seq, index: context.index, attempt: context.attempt, triggerActivation: triggerActivation ?? null } };
  } catch (error) {
    return toActionError(error);
  }
}
