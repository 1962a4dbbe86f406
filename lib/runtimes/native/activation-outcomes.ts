/**
 * What a task's activation ended with, read from its activation records the way the task conductor
 * reads an action's output (for the sweep): the user action's own record behind a conductor
 * composition, and records of activations the platform lost (`whiskflow.ActivationLost`).
 */
import { ACTIVATION_LOST } from '../../events/activation';
import { isJsonObject, type Json } from '../../model/json';
import type { DeliveryClient } from '../../openwhisk/client';
import { TASK_CONDUCTOR } from './invoker';

export type Outcome = { result: Json } | { error: Json };

/** The parts of an activation record the sweep reads. */
interface ActivationRecord {
  name?: string;
  cause?: string;
  logs?: unknown[];
  annotations?: { key: string; value: unknown }[];
  response?: { success?: boolean; status?: string; result?: unknown };
}

/** What the task's activation ended with; undefined while it has no record (it still runs). */
export async function outcomeOf(client: DeliveryClient, activationId: string): Promise<{ outcome: Outcome; activationId: string } | undefined> {
  const record = await activationRecord(client, activationId);
  if (!record) return undefined;
  if (isTaskConductor(record)) {
    // [first conductor run, the user's action, second conductor run]: the action's own record says how it went.
    const actionId = record.logs?.[1];
    const action = typeof actionId === 'string' ? await activationRecord(client, actionId) : undefined;
    if (action) return isLost(action) ? lostOutcome(actionId as string, errorText(action)) : { outcome: outcomeOfRecord(action), activationId: actionId as string };
    if (isLost(record)) return lostOutcome(activationId, errorText(record));
    return { outcome: { error: errorOf(record) ?? 'whiskflow.ConductorFailed' }, activationId };
  }
  if (isConductorRun(record)) return continuedOutcome(client, activationId, record.cause);
  return isLost(record) ? lostOutcome(activationId, errorText(record)) : { outcome: outcomeOfRecord(record), activationId };
}

/**
 * An attempt a task conductor continued its composition with (composition.ts): the claim names that
 * conductor run, whose composition (its `cause`) ran the task as the component right after it.
 * Undefined while the composition runs (it has no record until it ends).
 */
async function continuedOutcome(client: DeliveryClient, runId: string, compositionId: string): Promise<{ outcome: Outcome; activationId: string } | undefined> {
  const composition = await activationRecord(client, compositionId);
  if (!composition) return undefined;
  const logs = composition.logs ?? [];
  const actionId = logs[logs.indexOf(runId) + 1];
  const action = logs.includes(runId) && typeof actionId === 'string' ? await activationRecord(client, actionId) : undefined;
  if (action) return isLost(action) ? lostOutcome(actionId as string, errorText(action)) : { outcome: outcomeOfRecord(action), activationId: actionId as string };
  // The composition ended before it ran the task (the platform stopped it, or refused the component).
  return lostOutcome(runId, `ended its composition ${compositionId} before the task ran (${errorText(composition)})`);
}

export const LOST_WITHOUT_RECORD = 'ended without a record (the platform running it stopped or lost it)';

/** An attempt whose activation was lost (or never got a record and never will): a failure, so retry/catch apply. */
export function lostOutcome(activationId: string, how: string): { outcome: Outcome; activationId: string } {
  return { outcome: { error: { error: ACTIVATION_LOST, cause: `activation ${activationId} ${how}` } }, activationId };
}

/**
 * A record the platform made for an activation it did not run to an end: `whisk internal error`
 * (the local platform records the activations running when it stopped so, from its journal). The
 * action produced no outcome, so the attempt is lost, not failed by the action.
 */
function isLost(record: ActivationRecord): boolean {
  return record.response?.status === 'whisk internal error';
}

function errorText(record: ActivationRecord): string {
  const error = errorOf(record);
  return `was lost: ${typeof error === 'string' ? error : JSON.stringify(error ?? record.response?.status ?? 'no response')}`;
}

/** A record of the task conductor's composition (OpenWhisk annotates conductor compositions `conductor: true`). */
function isTaskConductor(record: ActivationRecord): boolean {
  return record.name === TASK_CONDUCTOR_NAME && record.annotations?.some((annotation) => annotation.key === 'conductor' && annotation.value === true) === true;
}

/** One run of the task conductor within its composition: OpenWhisk gives it the composition's id as `cause`. */
function isConductorRun(record: ActivationRecord): record is ActivationRecord & { cause: string } {
  return record.name === TASK_CONDUCTOR_NAME && typeof record.cause === 'string' && !isTaskConductor(record);
}

const TASK_CONDUCTOR_NAME = TASK_CONDUCTOR.slice(TASK_CONDUCTOR.lastIndexOf('/') + 1);

/** As the task conductor reads an action's output: an `error` field (or an unsuccessful record) is a failure. */
function outcomeOfRecord(record: ActivationRecord): Outcome {
  const error = errorOf(record);
  if (error !== undefined || record.response?.success === false) return { error: error ?? record.response?.status ?? 'unknown error' };
  return { result: (record.response?.result ?? {}) as Json };
}

function errorOf(record: ActivationRecord): Json | undefined {
  const result = record.response?.result;
  return isJsonObject(result as Json) && (result as { error?: Json }).error !== undefined ? (result as { error: Json }).error : undefined;
}

async function activationRecord(client: DeliveryClient, activationId: string): Promise<ActivationRecord | undefined> {
  try {
    return (await client.activations.get({ name: activationId })) as ActivationRecord;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw error;
  }
}
