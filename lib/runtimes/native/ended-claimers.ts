/**
 * Which of the activations that made invoke claims have ended. OpenWhisk writes an activation's
 * record when it ends (the local platform too, or from its journal when it stopped meanwhile), and
 * an orchestrator (or task conductor) awaits every invoke it started before it returns
 * (forEachLimited settles all in-flight work): a claimer that has a record will invoke nothing more.
 * Its claims still without an activation id are abandoned now, not once the claim lease (310 s,
 * which covers a claimer still retrying) has passed. This is what left a 1,000-task map waiting
 * minutes after a kill of the embedded CouchDB: the conductors and orchestrators that failed on the
 * store between a claim and its invoke (or the record of its activation id) had long ended.
 *
 * A claimer whose record cannot be read (no record, another kind of id, the platform not answering)
 * counts as alive: its claims keep the lease.
 */
import type { ClientPart } from '../../openwhisk/client';
import { forEachLimited } from '../../limited';

export type ActivationGetClient = ClientPart<{ activations: 'get' }>;

export async function endedClaimers(client: ActivationGetClient, claimers: Iterable<string | undefined>): Promise<Set<string>> {
  const ended = new Set<string>();
  const distinct = [...new Set([...claimers].filter((id): id is string => typeof id === 'string' && id !== ''))];
  // A few at once: after a crash mid-map, hundreds of conductors may have left claims.
  await forEachLimited(distinct, 16, async (activationId) => {
    try {
      const record = (await client.activations.get({ name: activationId })) as { activationId?: unknown } | undefined;
      if (record && typeof record === 'object') ended.add(activationId);
    } catch {
      // 404 (still running), or unreadable: the lease applies.
    }
  });
  return ended;
}
