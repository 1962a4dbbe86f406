/**
 * Writing the activation ids of invoked tasks onto their invoke claims, in batches while further
 * invokes go on (see the orchestrator's invokeClaimed): with the revisions the claims' creates
 * returned, so no read comes first; a conflict falls back to a compare-and-swap that only fills a
 * missing activation id.
 */
import { replaceAll } from '../../store/bulk';
import { updateWithRetry } from '../../store/claims';
import type { InvokeDoc } from '../../store/run-documents';
import type { RunStore, StoredDoc } from '../../store/run-store';

/** Claims whose activation ids are written together (one `_bulk_docs`) while further invokes go on. */
const RECORD_BATCH = 50;

/** Writes invoked claims' activation ids in batches, one write at a time, in the background. */
export class ActivationRecorder {
  private pending: StoredDoc<InvokeDoc>[] = [];
  private writes: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(private readonly store: RunStore) {}

  add(claim: StoredDoc<InvokeDoc>): void {
    this.pending.push(claim);
    if (this.pending.length >= RECORD_BATCH) this.flush();
  }

  /** Writes what is left and waits for every write; throws the first write's failure. */
  async finish(): Promise<void> {
    this.flush();
    await this.writes;
    if (this.failure) throw this.failure.error;
  }

  private flush(): void {
    const batch = this.pending;
    if (!batch.length) return;
    this.pending = [];
    // A failed batch must not keep the later ones from being written.
    this.writes = this.writes.then(() => recordActivations(this.store, batch)).catch((error: unknown) => { this.failure ??= { error }; });
  }
}

/** Writes the activation ids onto the claims with the revisions this activation holds: no read first. */
async function recordActivations(store: RunStore, claims: readonly StoredDoc<InvokeDoc>[]): Promise<void> {
  const outcomes = await replaceAll(store, claims);
  const conflicts = claims.filter((_, position) => 'conflict' in (outcomes[position] ?? { conflict: true }));
  for (const claimed of conflicts) {
    await updateWithRetry<InvokeDoc>(store, claimed._id, (current) => (current.activationId ? undefined : { ...claimed, ...current, activationId: claimed.activationId!, invokedAt: claimed.invokedAt! }));
  }
}
