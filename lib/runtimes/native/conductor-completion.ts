/**
 * The hot path of a task's completion: the task conductor's completing activation applies the
 * outcome itself, with the orchestrator's own code (handleEvent, the same create-only claims), and
 * starts whatever comes next, instead of firing the workflow's trigger so that a rule invokes the
 * orchestrator to do it. That saves a trigger fire, a rule invocation and an orchestrator
 * activation per task, and OpenWhisk counts each of those against the namespace's limits.
 *
 * What does not change: every side effect still hangs off a create-only document, so a duplicate
 * (the sweep firing an outcome again, a timer's timeout) meets the result this activation created;
 * the outcome is authenticated as the orchestrator authenticates a fired one (its attempt's token);
 * a conductor that dies part way leaves what the sweep repairs from a dead orchestrator.
 *
 * The trigger path stays: when the deployment asks for task events (`whiskflowTaskEvents`, for
 * users with a rule of their own on the workflow's trigger), when the conductor has no store or
 * event key bound (a deployment from before this path), and when applying fails (the orchestrator
 * then repeats what was not done; what was done is claimed).
 */
import type { JsonObject } from '../../model/json';
import { platformClient } from '../../openwhisk/client';
import { EVENT_KEY_PARAM, STORE_PARAM, TASK_CHAIN_PARAM, TASK_EVENTS_PARAM } from '../../openwhisk/names';
import { deliverEvent } from '../../openwhisk/deliver';
import type { Json } from '../../model/json';
import { tracedInvoker, tracedStore, withTrace } from './activation-trace';
import { storeOfAction } from './action-stores';
import { authenticate, recordRejection } from './event-auth';
import { taskOutcomeEvent, taskOutcomeOf, toPayload, type TaskContext } from './events';
import { OpenWhiskTaskInvoker } from './invoker';
import { handleEvent } from './orchestrator';
import { ChainingInvoker, type Continuation } from './composition';

export type TaskOutcome = { result: Json } | { error: Json };

/** What the deployment binds to the task conductor (lib/deploy/runtime.ts). */
export interface ConductorSettings {
  store?: unknown;
  eventKey?: string;
  /** Fire every completion into the workflow's trigger (observable as a CloudEvent) instead. */
  taskEvents: boolean;
  /** Continue the composition with the next task (composition.ts); off only when the deployment says so. */
  taskChain: boolean;
}

/**
 * Splits the deployment's bound parameters from the rest: OpenWhisk merges an action's parameters
 * into each of its conductor runs, so the completing run's parameters are the user action's output
 * plus these, which must not become part of the task's result.
 */
export function splitConductorParams(params: JsonObject): { settings: ConductorSettings; rest: JsonObject } {
  const { [STORE_PARAM]: store, [EVENT_KEY_PARAM]: eventKey, [TASK_EVENTS_PARAM]: taskEvents, [TASK_CHAIN_PARAM]: taskChain, ...rest } = params;
  return {
    settings: {
      ...(store !== undefined ? { store } : {}), ...(typeof eventKey === 'string' && eventKey ? { eventKey } : {}),
      taskEvents: taskEvents === true, taskChain: taskChain !== false,
    },
    rest,
  };
}

/**
 * How the outcome went on: applied here (with the orchestrator's trace, and the task this
 * composition continues with when it took one), or fired into the trigger.
 */
export type Reported =
  | { via: 'conductor'; outcome: string; reason?: string; trace: JsonObject; next?: Continuation }
  | { via: 'trigger'; triggerActivation: string | null; fallbackFrom?: string };

/** `componentsRun`: the components the composition has run so far, when it may continue with the next task. */
export async function reportOutcome(settings: ConductorSettings, context: TaskContext, outcome: TaskOutcome, componentsRun?: number): Promise<Reported> {
  // Read before the first await: with `limits.concurrency` > 1 another activation may change process.env.
  const activationId = process.env.__OW_ACTIVATION_ID;
  const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + 60_000;
  const namespace = process.env.__OW_NAMESPACE ?? '_';
  const fire = async (fallbackFrom?: string): Promise<Reported> => {
    // As lib/report's fireTaskOutcome: the workflow's trigger, delivery that survives a throttled rule.
    const payload = toPayload(taskOutcomeEvent(context, outcome, activationId));
    const delivery = await deliverEvent(platformClient(), context.trigger, context.workflow, payload, deadline - 2_000);
    return { via: 'trigger', triggerActivation: delivery.triggerActivationId ?? null, ...(fallbackFrom ? { fallbackFrom } : {}) };
  };
  if (settings.taskEvents || settings.store === undefined || !settings.eventKey) return fire();
  const { eventKey } = settings;
  try {
    const store = tracedStore(storeOfAction(settings.store));
    const client = platformClient();
    const invoker = tracedInvoker(new OpenWhiskTaskInvoker(client, () => deadline - 5_000, eventKey));
    // Only a run that knows its own activation id can name the composition that continues.
    const chaining = settings.taskChain && componentsRun !== undefined && activationId ? new ChainingInvoker(invoker, activationId, componentsRun, eventKey) : undefined;
    const ctx = { store, namespace, activationId: activationId ?? 'unknown', invoker: chaining ?? invoker };
    // The event exactly as the orchestrator would have parsed it from the fire.
    const event = taskOutcomeOf(context, outcome, activationId);
    const verdict = authenticate(event, { workflow: context.workflow, eventKey });
    if (!verdict.accepted) {
      await recordRejection(store, event, verdict.reason);
      return { via: 'conductor', outcome: 'rejected', reason: verdict.reason, trace: {} };
    }
    const { value, trace } = await withTrace(() => handleEvent(ctx, event));
    const next = chaining?.continuation;
    return { via: 'conductor', outcome: value.outcome, ...('reason' in value ? { reason: value.reason } : {}), trace: trace as unknown as JsonObject, ...(next ? { next } : {}) };
  } catch (error) {
    // The orchestrator does again whatever this activation did not get to; all of it is claimed.
    // A task this run had taken to continue with is not run: its claim may name this activation
    // without the composition running it, which the sweep reads as a lost attempt (its retry
    // policy applies); or the claim has no activation id yet, and the sweep starts it after its lease.
    return fire(error instanceof Error ? error.message : String(error));
  }
}
