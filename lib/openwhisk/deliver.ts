/**
 * Delivering an event to a workflow's trigger without losing it to throttling.
 *
 * A trigger fire can be refused (429: the fire itself is retried with backoff), and it can be
 * accepted while the rule's invocation of the orchestrator is throttled: OpenWhisk then records the
 * failure only in the trigger activation's logs (one JSON line per rule) and the event is gone.
 * So after a fire, the trigger activation is read back and every rule that did not start its action
 * gets that action invoked directly with the same payload (plus the trigger's workflow parameter).
 * A duplicate delivery is harmless: the orchestrator records each event once.
 */
import type { JsonObject } from '../model/json';
import { setTimeout as sleep } from 'node:timers/promises';
import { withThrottleRetry } from './throttle';
import { WORKFLOW_PARAM } from './names';
import type { DeliveryClient, WhiskClient } from './client';

export interface RuleOutcome {
  success: boolean;
  statusCode?: number;
  action?: string;
  rule?: string;
  activationId?: string;
}

export interface Delivery {
  triggerActivationId?: string;
  /** Actions invoked directly because their rule's invocation failed. */
  redelivered: string[];
  /** The activations the event started (rules that invoked their action, and direct invokes), when known. */
  activationIds?: string[];
}

/**
 * The status OpenWhisk's controller logs for a rule that is disabled (ActivationResponse's
 * ApplicationError, with "Rule '…' is inactive, action '…' was not activated."): someone switched
 * it off on purpose, so its action must not be invoked behind their back.
 */
export const INACTIVE_RULE_STATUS = 1;

/** Parses the per-rule lines of a trigger activation's logs; other lines are ignored. */
export function ruleOutcomes(logs: unknown[] | undefined): RuleOutcome[] {
  const outcomes: RuleOutcome[] = [];
  for (const line of logs ?? []) {
    try {
      const parsed = JSON.parse(String(line)) as Partial<RuleOutcome>;
      if (typeof parsed.success === 'boolean') outcomes.push(parsed as RuleOutcome);
    } catch {
      // not a rule line
    }
  }
  return outcomes;
}

export async function deliverEvent(client: DeliveryClient, trigger: string, workflow: string, payload: JsonObject, deadline: number): Promise<Delivery> {
  const fired = await withThrottleRetry(`fire ${trigger}`, () => client.triggers.invoke({ name: trigger, params: payload }), { deadline });
  const triggerActivationId = fired?.activationId;
  if (!triggerActivationId) return { redelivered: [] };
  const record = await readTriggerActivation(client, triggerActivationId, Math.min(deadline, Date.now() + 10_000));
  const failed = record ? ruleOutcomes(record.logs).filter((outcome) => !outcome.success && outcome.action && isPassing(outcome.statusCode)) : [];
  const redelivered: string[] = [];
  const base = failed.length > 0 ? await triggerParameters(client, trigger, workflow, deadline) : {};
  const activationIds = record ? ruleOutcomes(record.logs).flatMap((outcome) => (outcome.success && outcome.activationId ? [outcome.activationId] : [])) : [];
  for (const outcome of failed) {
    const action = `/${String(outcome.action).replace(/^\//, '')}`;
    const invoked = await withThrottleRetry(`invoke ${action}`, () => client.actions.invoke({ name: action, blocking: false, params: { ...base, ...payload } }), { deadline });
    redelivered.push(action);
    if (invoked?.activationId) activationIds.push(invoked.activationId);
  }
  return { triggerActivationId, redelivered, activationIds };
}

/**
 * Whether a rule's failed invocation is worth invoking directly: throttling and server errors pass;
 * a refusal (400: the payload overrides an action's final parameters; 404) would be refused again,
 * and an inactive rule (INACTIVE_RULE_STATUS) was switched off on purpose.
 */
function isPassing(statusCode: number | undefined): boolean {
  return statusCode === undefined || statusCode === 429 || statusCode >= 500;
}

/** The trigger's own parameters (the workflow's name and seal), as the rule would have passed them. */
async function triggerParameters(client: DeliveryClient, trigger: string, workflow: string, deadline: number): Promise<JsonObject> {
  const fallback = { [WORKFLOW_PARAM]: workflow };
  // Optional: a client that can only fire and invoke (a unit test's fake) passes the workflow's name alone.
  const get = (client.triggers as Partial<Pick<WhiskClient['triggers'], 'get'>>).get;
  if (!get) return fallback;
  try {
    const read = await withThrottleRetry(`get trigger ${trigger}`, () => get.call(client.triggers, { name: trigger }), { deadline });
    return { ...fallback, ...Object.fromEntries((read.parameters ?? []).map((parameter) => [parameter.key, parameter.value])) } as JsonObject;
  } catch {
    return fallback;
  }
}

/** The trigger activation record; a real OpenWhisk may store it a moment after the fire returns. */
async function readTriggerActivation(client: DeliveryClient, activationId: string, giveUpAt: number): Promise<{ logs?: unknown[] } | undefined> {
  for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      return await withThrottleRetry(`get activation ${activationId}`, () => client.activations.get({ name: activationId }), { deadline: giveUpAt });
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (status !== 404 || Date.now() + wait > giveUpAt) return undefined;
      await sleep(wait);
    }
  }
}
