/**
 * Exactly one start per task attempt, however often its invoke event is delivered and however many
 * Rule Engines run: starting a task first creates `stream-invoke/<runId>/<taskKey>` (create-only, one
 * winner), then invokes, then records the activation id on it. The document also says whether the
 * completion still has to be reported, so a restarted engine resumes watching the activation.
 */
import { hasErrorCode, WhiskflowError } from '../../errors';
import { createAll, replaceAll } from '../../store/bulk';
import { claim, updateWithRetry } from '../../store/claims';
import { withoutMeta, type RunStore, type StoredDoc } from '../../store/run-store';
import { claimerHasEnded, type ClaimerProcess } from './claimer-process';

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
  /** The claiming process (claimer-process.ts): a claim of one that has ended is taken over before the lease is over. */
  claimer?: ClaimerProcess;
  activationId?: string;
  /** True once the completion was produced to the stream (poll only). */
  reported?: boolean;
  /** Epoch ms (the engine's clock) when the completion was produced: how long after its end the engine saw the activation finish. */
  reportedAt?: number;
}

export const INVOKE_CLAIM_PREFIX = 'stream-invoke/';

export function invokeClaimId(runId: string, taskKey: string): string {
  return `${INVOKE_CLAIM_PREFIX}${runId}/${taskKey}`;
}

/**
 * A delivered invoke found its task claimed by another engine that has not recorded an activation
 * yet: either that engine is invoking right now, or it died between its claim and its invoke. The
 * batch must not be acknowledged then (no other delivery of the invoke will ever come, since the
 * Condition Engine produced it once), so it is delivered again until the claim has its activation
 * id or is old enough to be taken over.
 */
export class ClaimInFlightError extends WhiskflowError {
  constructor(readonly claimIds: readonly string[]) {
    super('STORE_CONFLICT', `${claimIds.length} task(s) claimed by another engine and not invoked yet (first: ${claimIds[0] ?? '-'}); the batch is delivered again`, { claimIds: claimIds.slice(0, 10) }, true);
    this.name = 'ClaimInFlightError';
  }
}

export type ClaimOutcome =
  /** This engine must invoke now. */
  | { kind: 'won'; doc: StoredDoc<InvokeClaim> }
  /** Already invoked (or being invoked by a live engine). */
  | { kind: 'taken'; doc: StoredDoc<InvokeClaim> };

export class InvokeClaims {
  constructor(private readonly store: RunStore, private readonly leaseMs: number, private readonly now: () => number = Date.now) {}

  /**
   * Claims a batch of tasks: one bulk create-only write (each claim still has exactly one winner,
   * who learns its revision from the answer); only the claims that already existed are read back,
   * to see whether their claimer died before invoking.
   */
  async claimAll(bodies: readonly InvokeClaim[]): Promise<ClaimOutcome[]> {
    const created = await createAll(this.store, bodies.map((body) => ({ id: invokeClaimId(body.runId, body.taskKey), body })));
    return Promise.all(created.map(async (result, index): Promise<ClaimOutcome> => {
      const body = bodies[index] as InvokeClaim;
      if (result.outcome === 'created') return { kind: 'won', doc: { ...(withoutMeta(body) as InvokeClaim), _id: result.id, _rev: result.rev } };
      const claimed = await claim(this.store, result.id, body);
      return claimed.won ? { kind: 'won', doc: claimed.doc } : this.takeOverIfStale(claimed.doc, body);
    }));
  }

  private async takeOverIfStale(current: StoredDoc<InvokeClaim>, body: InvokeClaim): Promise<ClaimOutcome> {
    const stale = current.activationId === undefined && (this.now() - current.claimedAt > this.leaseMs || claimerHasEnded(current.claimer));
    if (!stale) return { kind: 'taken', doc: current };
    // The claimer died between claim and invoke: take over, compare-and-swap so only one engine does.
    const { claimer: _deadClaimer, ...rest } = current;
    const takenOver: StoredDoc<InvokeClaim> = { ...rest, claimedAt: this.now(), claimedBy: body.claimedBy, ...(body.claimer ? { claimer: body.claimer } : {}) };
    try {
      return { kind: 'won', doc: { ...takenOver, _rev: await this.store.replace<InvokeClaim>(takenOver) } };
    } catch (error) {
      if (hasErrorCode(error, 'STORE_CONFLICT')) return { kind: 'taken', doc: current };
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

  /**
   * `invoked` for several claims this engine won, in one bulk compare-and-swap with the revisions the
   * claims returned; a claim changed in between (a takeover) goes through `invoked` on its own.
   */
  async invokedAll(started: readonly { doc: StoredDoc<InvokeClaim>; activationId: string }[]): Promise<StoredDoc<InvokeClaim>[]> {
    const updated = started.map(({ doc, activationId }) => ({ ...doc, activationId }));
    const results = await replaceAll(this.store, updated);
    return Promise.all(results.map(async (result, index) => {
      const doc = updated[index] as StoredDoc<InvokeClaim>;
      return 'conflict' in result ? this.invoked(doc, doc.activationId as string) : { ...doc, _rev: result.rev };
    }));
  }

  /** `reported` for several claims whose last revision is known (what `invokedAll` returned); conflicts fall back to `reported`. */
  async reportedAll(docs: readonly StoredDoc<InvokeClaim>[], reportedAt: number): Promise<void> {
    const results = await replaceAll(this.store, docs.map((doc) => ({ ...doc, reported: true, reportedAt })));
    await Promise.all(results.map(async (result, index) => {
      const doc = docs[index] as StoredDoc<InvokeClaim>;
      if ('conflict' in result) await this.reported(doc.runId, doc.taskKey, reportedAt);
    }));
  }

  async reported(runId: string, taskKey: string, reportedAt: number): Promise<void> {
    await updateWithRetry<InvokeClaim>(this.store, invokeClaimId(runId, taskKey), (current) => (current.reported ? undefined : { ...current, reported: true, reportedAt }));
  }

  /** Polled tasks whose completion has not been reported yet (to resume after a restart). */
  async unreported(): Promise<StoredDoc<InvokeClaim>[]> {
    const rows = await this.store.listByPrefix<InvokeClaim>(INVOKE_CLAIM_PREFIX, { includeDocs: true });
    return rows
      .map((row) => row.doc)
      .filter((doc): doc is StoredDoc<InvokeClaim> => doc !== undefined && doc.report === 'poll' && doc.activationId !== undefined && !doc.reported);
  }
}
