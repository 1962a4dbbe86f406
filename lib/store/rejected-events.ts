/**
 * Events a runtime refused (forged, misrouted, unsigned: lib/events/event-seal.ts), recorded where
 * the run's status counts them (lib/runs/run-view.ts): one document per event id, so a
 * repeated forgery is counted once, and nothing else about the run changes.
 */
import { createHash } from 'node:crypto';
import { docIds, type RejectedDoc } from './run-documents';
import type { RunStore } from './run-store';

export async function recordRejectedEvent(store: RunStore, event: { runId: string; eventId: string; eventType: string }, reason: string, now = Date.now()): Promise<void> {
  // Only ids whiskflow could have made: a forged id must not name documents of its choosing.
  if (!/^[\w.-]{1,200}$/.test(event.runId)) return;
  // Event ids are the sender's to choose: hashed into a fixed-size, id-safe key.
  const key = createHash('sha256').update(event.eventId).digest('hex').slice(0, 32);
  const doc: RejectedDoc = { type: 'rejected', runId: event.runId, eventId: event.eventId.slice(0, 200), eventType: event.eventType, reason, rejectedAt: now };
  await store.createOnly(docIds.rejected(event.runId, key), doc);
}
