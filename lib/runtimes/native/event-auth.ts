/**
 * Which events the orchestrator accepts (see lib/events/event-seal.ts for the tokens and seals).
 *
 * - a start is accepted when the trigger settings it arrived with carry the seal of the workflow
 *   (and definition) they name: a fire whose payload renames the workflow or brings a definition
 *   of its own is refused, since a payload can override a trigger's parameters but not forge a seal;
 * - an external event (a CloudEvent of a type of its own, for `event` stages) is accepted like a
 *   start: whoever may fire the workflow's trigger may send it, and the trigger must carry its seal;
 * - a completion is accepted when it carries its attempt's token and belongs to the workflow whose
 *   trigger it arrived on: a completion typed by hand, one for an attempt never started, and one
 *   fired into another workflow's trigger are refused.
 * Refused completions are recorded (`rejected/<run>/…`, one document per event id) where the run's
 * status counts them; nothing else about the run changes.
 */
import { attemptToken, sameToken, workflowSeal } from '../../events/event-seal';
import type { Json } from '../../model/json';
import { docIds, type StartDoc } from '../../store/run-documents';
import { recordRejectedEvent } from '../../store/rejected-events';
import type { RunStore } from '../../store/run-store';
import type { OrchestratorEvent } from './events';
import { EVENT_KEY_PARAM } from '../../openwhisk/names';


export interface EventSettings {
  /** The deployment's event key; absent: the orchestrator refuses every event (it cannot tell forged ones). */
  eventKey?: string;
  /** The workflow name the trigger settings name (`whiskflowWorkflow`). */
  workflow: string;
  /** The trigger's definition (wskdeploy deployments), as received. */
  definition?: Json;
  seal?: unknown;
}

export type Verdict = { accepted: true } | { accepted: false; reason: string };

export function authenticate(event: OrchestratorEvent, settings: EventSettings): Verdict {
  const key = settings.eventKey;
  if (typeof key !== 'string' || key === '') {
    return refused(`the orchestrator has no '${EVENT_KEY_PARAM}' parameter: redeploy the whiskflow runtime (whiskflow deploy) to bind one`);
  }
  // An external event is as trusted as a start: whoever may fire the workflow's trigger may send it.
  if (event.type === 'run.started' || event.type === 'external') {
    if (!sameToken(workflowSeal(key, settings.workflow, settings.definition), settings.seal)) {
      return refused(`the trigger settings of workflow '${settings.workflow}' do not carry its seal: the fire's payload overrode whiskflow's parameters, or the trigger was not deployed by whiskflow`);
    }
    return { accepted: true };
  }
  const { task } = event;
  if (task.workflow !== settings.workflow) {
    return refused(`a completion of workflow '${task.workflow}' arrived on the trigger of workflow '${settings.workflow}'`);
  }
  if (!sameToken(attemptToken(key, task), task.token)) {
    return refused(`the completion of ${task.runId} task ${task.position}/${task.index} attempt ${task.attempt} does not carry that attempt's token`);
  }
  return { accepted: true };
}

/**
 * Records a refused completion once per event id, for the run's status. A refused start names no
 * run: when it has a start key, the key is claimed as refused, so that the sweep, which fires again
 * starts whose key has no document (lost-starts.ts), does not turn the forgery into a run.
 */
export async function recordRejection(store: RunStore, event: OrchestratorEvent, reason: string, now = Date.now()): Promise<void> {
  if (event.type === 'run.started') {
    if (!event.startKey) return;
    const start: StartDoc = { type: 'start', startKey: event.startKey, runId: '', workflow: event.workflow, claimedAt: now, rejected: reason };
    await store.createOnly(docIds.start(event.startKey), start);
    return;
  }
  // A refused external event names no run: the refusal is the orchestrator activation's result.
  if (event.type === 'external') return;
  await recordRejectedEvent(store, { runId: event.task.runId, eventId: event.eventId, eventType: event.type }, reason, now);
}

function refused(reason: string): Verdict {
  return { accepted: false, reason };
}
