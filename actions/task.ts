/**
 * The task conductor (`whiskflow/task`, annotation `conductor: true`): runs one unmodified user
 * action and reports its completion, with nothing blocking in between (apache/openwhisk
 * docs/conductors.md).
 *
 * 1st activation (invoked non-blocking by the orchestrator): returns the continuation
 *    `{ action, params, state }`; the platform then runs the user's action.
 * 2nd activation: the platform re-activates the conductor with the action's output merged with
 *    `state`. An `error` field means the action failed (or timed out): `task.failed`, else
 *    `task.completed`, which this activation applies itself (the orchestrator's code, the same
 *    create-only claims; lib/runtimes/native/conductor-completion.ts), or fires into the workflow's
 *    trigger when the deployment asks for task events. When applying it started a task this
 *    composition can run next (lib/runtimes/native/composition.ts), the activation returns that
 *    task as the next component and is re-activated with its output, as after the first; otherwise
 *    the composition ends.
 */
import { TASK_PARAM } from '../lib/runtimes/native/invoker';
import { parseTaskContext } from '../lib/runtimes/native/events';
import { setTimeout as sleep } from 'node:timers/promises';
import { isJsonObject, type Json, type JsonObject } from '../lib/model/json';
import { reportOutcome, splitConductorParams, type Reported, type TaskOutcome } from '../lib/runtimes/native/conductor-completion';
import { toActionError } from '../lib/runtimes/native/action-error';
import { checkInvocable } from '../lib/runtimes/native/action-check';
import { platformClient } from '../lib/openwhisk/client';

/** Key of the conductor state; chosen so it cannot collide with a user action's output fields. */
const STATE_PARAM = '__whiskflow_state';
/** Key of the count of components the composition has run (composition.ts caps it). */
const COMPONENTS_PARAM = '__whiskflow_components';

export async function main(given: JsonObject): Promise<JsonObject> {
  try {
    const { settings, rest: params } = splitConductorParams(given);
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
        const reported = await reportOutcome(settings, context, { error: invocable.error });
        return { params: { reported: 'task.failed', runId: context.runId, position: context.position, index: context.index, attempt: context.attempt, error: invocable.error, ...shown(reported) } };
      }
      return { action, params: isJsonObject(start.params) ? start.params : {}, state: { [STATE_PARAM]: context as unknown as JsonObject, [COMPONENTS_PARAM]: 1 } };
    }
    const { [STATE_PARAM]: state, [COMPONENTS_PARAM]: counted, ...output } = params;
    // A composition started before components were counted has run one.
    const components = typeof counted === 'number' ? counted : 1;
    let context = parseTaskContext(state);
    let outcome: TaskOutcome = 'error' in output ? { error: (output.error ?? 'unknown error') as Json } : { result: output };
    for (;;) {
      const reported = await reportOutcome(settings, context, outcome, components);
      const next = reported.via === 'conductor' ? reported.next : undefined;
      if (!next) return { params: { reported: 'error' in outcome ? 'task.failed' : 'task.completed', runId: context.runId, position: context.position, index: context.index, attempt: context.attempt, ...shown(reported) } };
      // As the first activation: a component the platform cannot resolve would end the composition.
      const invocable = await checkInvocable(platformClient(), next.action);
      if (invocable.ok) return { action: next.action, params: next.params, state: { [STATE_PARAM]: next.context as unknown as JsonObject, [COMPONENTS_PARAM]: components + 1 } };
      // The attempt this run took fails at once, reported as its own conductor would have.
      context = next.context;
      outcome = { error: invocable.error };
    }
  } catch (error) {
    return toActionError(error);
  }
}

/** The composition's result says how the outcome went on (the sweep and benchmarks read it). */
function shown(reported: Reported): JsonObject {
  return reported.via === 'trigger'
    ? { triggerActivation: reported.triggerActivation, ...(reported.fallbackFrom ? { fallbackFrom: reported.fallbackFrom } : {}) }
    : { applied: reported.outcome, ...(reported.reason ? { reason: reported.reason } : {}), trace: reported.trace };
}
