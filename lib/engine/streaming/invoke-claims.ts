/**
 * Exactly one start per task attempt, however often its invoke event is delivered and however many
 * Rule Engines run: starting a task first creates `stream-invoke/<runId>/<taskKey>` (create-only, one
 * winner), then invokes, then records the activation id on it. The document also says whether the
 * completion still has to be reported, so a restarted engine resumes watching the activation.
 */
import { hasErrorCode } from '../../errors';
import { claim, updateWithRetry } from '../../store/claims';
import type { RunStore, StoredDoc } from '../../store/run-store';

export interface InvokeClaim {
  type: 'stream-invoke';
  runId: string;
  stageId: string;
  taskKey: string;
  action: string;
  completionTopic: string;
  /** `poll`: the engine watches the activation; `self`: the action produces its completion itself. */
  report: 'poll' | 'self';
  claimedAt: number;
  claimedBy: string;
  activationId?: string;
  /** True once the completion was produced to the stream (poll only). */
  reported?: boolean;
}

export const INVOKE_CLAIM_PREFIX = 'stream-invoke/';

export function invokeClaimId(runId: string, taskKey: string): string {
  return `${INVOKE_CLAIM_PREFIX}${runId}/${taskKey}`;
}

export type ClaimOutcome =
  /** This engine must invoke now. */
  | { kind: 'won'; doc: StoredDoc<InvokeClaim> }
  /** Already invoked (or being invoked by a live engine). */
  | { kind: 'taken'; doc: StoredDoc<InvokeClaim> };

export class InvokeClaims {
  constructor(private readonly store: RunStore, private readonly leaseMs: number, private readonly now: () => number = Date.now) {}

  async claim(body: InvokeClaim): Promise<ClaimOutcome> {
    const claimed = await claim(this.store, invokeClaimId(body.runId, body.taskKey), body);
    if (claimed.won) return { kind: 'won', doc: claimed.doc };
    const stale = claimed.doc.activationId === undefined && this.now() - claimed.doc.claimedAt > this.leaseMs;
    if (!stale) return { kind: 'taken', doc: claimed.doc };
    // The claimer died between claim and invoke: take over, compare-and-swap so only one engine does.
    try {
      const rev = await this.store.replace<InvokeClaim>({ ...claimed.doc, claimedAt: this.now(), claimedBy: body.claimedBy });
      return { kind: 'won', doc: { ...claimed.doc, claimedAt: this.now(), claimedBy: body.claimedBy, _rev: rev } };
    } catch (error) {
      if (hasErrorCode(error, 'STORE_CONFLICT')) return { kind: 'taken', doc: claimed.doc };
      throw error;
    }
  }

  /** The invoke failed before the platform accepted it: let a redelivery try again at once. */
  async release(doc: StoredDoc<InvokeClaim>): Promise<void> {
    await this.store.remove(doc._id);
  }

  async invoked(doc: StoredDoc<InvokeClaim>, activationId: string): Promise<StoredDoc<InvokeClaim>> {
    const updated = await updateWithRetry<InvokeClaim>(this.store, doc._id, (current) => (current.activationId ? undefined : { ...current, activationId }));
    return updated ?? { ...doc, activationId };
  }

  async reported(runId: string, taskKey: string): Promise<void> {
    await updateWithRetry<InvokeClaim>(this.store, invokeClaimId(runId, taskKey), (current) => (current.reported ? undefined : { ...current, reported: true }));
  }

  /** Polled tasks whose completion has not been reported yet (to resume after a restart). */
  async unreported(): Promise<StoredDoc<InvokeClaim>[]> {
    const rows = await this.store.listByPrefix<InvokeClaim>(INVOKE_CLAIM_PREFIX, { includeDocs: true });
    return rows
      .map((row) => row.doc)
      .filter((doc): doc is StoredDoc<InvokeClaim> => doc !== undefined && doc.report === 'poll' && doc.activationId !== undefined && !doc.reported);
  }
}
