/**
 * Authenticity of the events that drive a run, without trusting whoever fires a trigger.
 *
 * A deployment has one secret, the *event key*, bound (as a `final` parameter) to the whiskflow
 * actions that start tasks or accept events. From it:
 * - an **attempt token** is minted when a task attempt is started and travels with the attempt
 *   (the conductor's state, a self-reporting action's `__whiskflow`, the timer). A completion must
 *   carry the token of its attempt: it can only come from whoever was handed that attempt, so a
 *   completion typed by hand, or for an attempt that was never started, is refused (the token of
 *   attempt 7 exists only if attempt 7 was started). Like a Step Functions task token.
 * - a **workflow seal** is bound to each workflow trigger next to the workflow's name (and, for a
 *   wskdeploy deployment, its definition): a fire's payload can override a trigger's parameters,
 *   but it cannot produce the seal of another name or definition without the key.
 * HMAC-SHA256, compared in constant time. Changing the key invalidates the tokens of attempts in
 * flight, so a redeploy keeps the key it finds.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Json } from '../model/json';

/** What identifies one attempt of one task (a subset of the task context). */
export interface AttemptIdentity {
  runId: string;
  workflow: string;
  position: number;
  index: number;
  attempt: number;
  /** With the task key, the token covers it and the stage too (attempts started before task keys have neither). */
  taskKey?: string;
  stageId?: string;
}

/** A fresh event key: 32 random bytes, base64url. */
export function newEventKey(): string {
  return randomBytes(32).toString('base64url');
}

export function attemptToken(key: string, attempt: AttemptIdentity): string {
  const parts = ['attempt', attempt.runId, attempt.workflow, String(attempt.position), String(attempt.index), String(attempt.attempt)];
  if (attempt.taskKey !== undefined) parts.push(attempt.taskKey, attempt.stageId ?? '');
  return mac(key, parts);
}

/**
 * The streaming model names an attempt by its task key (`<stage>:<seq>:<index>:<attempt>`, see
 * task-key.ts); its token travels as a CloudEvent extension attribute of the completion.
 */
export const TOKEN_ATTRIBUTE = 'whiskflowtoken';

export function taskKeyToken(key: string, runId: string, taskKey: string): string {
  return mac(key, ['task', runId, taskKey]);
}

/** The seal of a workflow trigger's settings: its workflow's name and, when the trigger carries it, its definition. */
export function workflowSeal(key: string, workflow: string, definition?: Json): string {
  const digest = definition === undefined ? '' : createHash('sha256').update(canonicalJson(definition)).digest('base64url');
  return mac(key, ['workflow', workflow, digest]);
}

/**
 * The sender token of a workflow's HTTP endpoint for events (lib/runs/event-endpoint.ts): whoever
 * holds it may post events for that workflow's event stages, as whoever may fire its trigger.
 */
export function eventEndpointToken(key: string, workflow: string): string {
  return mac(key, ['http-events', workflow]);
}

/** Constant-time comparison of a received token or seal with the expected one. */
export function sameToken(expected: string, received: unknown): boolean {
  if (typeof received !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(received);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * JSON with object keys sorted: a definition deployed by wskdeploy reaches the action with its keys
 * in the order Go's encoder writes them (sorted), not in the order of the file the seal was made from.
 */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as Json)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function mac(key: string, parts: string[]): string {
  // Newlines cannot occur in the parts' fields as whiskflow names them; the prefix separates kinds.
  return createHmac('sha256', key).update(parts.join('\n')).digest('base64url');
}
