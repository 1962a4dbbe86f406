/**
 * Did a re-delivered completion take? The sweep fires a lost completion again; if the orchestrator
 * activation that handles it fails too (its store unreachable: `STORE_UNAVAILABLE`, the platform
 * refusing it), the run still waits, and a sweep that only counted what it fired would say all is
 * well. So the sweep reads the records of the orchestrator activations its fires started (named by
 * the trigger activation's rule lines) for a bounded time, and reports the failed ones with their
 * error, which `whiskflow sweep` turns into a non-zero exit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliveryClient } from '../../openwhisk/client';

/** How the re-delivery's handling went: its orchestrator activation ended well, failed, or had not ended yet. */
export type DeliveryCheck = { handled: 'ok' } | { handled: 'failed'; error: string; activationId: string } | { handled: 'unknown' };

/** How long the sweep waits, in all, for the orchestrator activations its fires started. */
export const DEFAULT_CONFIRM_WITHIN_MS = 20_000;

/** Waits (until `deadline`) for the records of `activationIds`; the first failure wins. */
export async function checkDelivery(client: DeliveryClient, activationIds: readonly string[], deadline: number): Promise<DeliveryCheck> {
  if (activationIds.length === 0) return { handled: 'unknown' };
  const records = await Promise.all(activationIds.map((id) => recordOf(client, id, deadline)));
  let seen = false;
  for (const [i, record] of records.entries()) {
    if (!record) continue;
    seen = true;
    if (record.response?.success === false) return { handled: 'failed', error: errorText(record.response.result), activationId: activationIds[i]! };
  }
  return seen ? { handled: 'ok' } : { handled: 'unknown' };
}

interface HandlerRecord { response?: { success?: boolean; result?: unknown } }

async function recordOf(client: DeliveryClient, activationId: string, deadline: number): Promise<HandlerRecord | undefined> {
  for (let wait = 100; ; wait = Math.min(wait * 2, 1_000)) {
    try {
      return (await client.activations.get({ name: activationId })) as HandlerRecord;
    } catch (error) {
      const status = (error as { statusCode?: unknown }).statusCode;
      if (status !== 404 || Date.now() + wait > deadline) return undefined;
      await sleep(wait);
    }
  }
}

/** `CODE: message` of an action error (lib/runtimes/native/action-error.ts), credentials cut out of URLs. */
export function errorText(result: unknown): string {
  const error = (result as { error?: unknown } | undefined)?.error;
  const text = typeof error === 'object' && error !== null
    ? [(error as { code?: unknown }).code ?? (error as { name?: unknown }).name, (error as { message?: unknown }).message].filter((part) => typeof part === 'string').join(': ')
    : String(error ?? 'unknown error');
  return text.replace(/\/\/[^@/\s]*@/g, '//***@');
}
