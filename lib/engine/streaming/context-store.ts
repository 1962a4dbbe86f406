/**
 * Run contexts in the run store (`stream/<runId>`), written with CouchDB's compare-and-swap: a new
 * context is created only if none exists, a known one replaced only at the revision read. That
 * fences a zombie engine: after a rebalance, an engine still finishing a batch for a run another
 * engine has since advanced gets `StoreConflictError`, its batch is not acknowledged, and its
 * (deterministically identified) outputs are deduplicated downstream.
 */
import { StoreConflictError } from '../../errors';
import { createOne } from '../../store/bulk';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { CONTEXT_PREFIX, contextDocId, type StreamRunContext } from './run-context';

export type StoredContext = StoredDoc<StreamRunContext>;

export class ContextStore {
  constructor(private readonly store: RunStore) {}

  load(runId: string): Promise<StoredContext | undefined> {
    return this.store.get<StreamRunContext>(contextDocId(runId));
  }

  /**
   * Writes `context` over `previous` (undefined: the run is new). Returns the stored form with its
   * new revision; throws `StoreConflictError` when another writer got there first.
   */
  async save(context: StreamRunContext, previous: StoredContext | undefined): Promise<StoredContext> {
    const id = contextDocId(context.runId);
    if (!previous) {
      // The create answers the revision: no read of the whole context back.
      const created = await createOne(this.store, id, context);
      if (created.outcome === 'exists') throw new StoreConflictError(id);
      return { ...context, _id: id, _rev: created.rev };
    }
    const rev = await this.store.replace<StreamRunContext>({ ...context, _id: id, _rev: previous._rev });
    return { ...context, _id: id, _rev: rev };
  }

  /** Contexts of runs still running that have timers, optionally only of some partitions. */
  async withTimers(partitions?: readonly number[]): Promise<StoredContext[]> {
    const rows = await this.store.listByPrefix<StreamRunContext>(CONTEXT_PREFIX, { includeDocs: true });
    return rows
      .map((row) => row.doc)
      .filter((doc): doc is StoredContext => doc !== undefined && Object.keys(doc.timers).length > 0)
      .filter((doc) => partitions === undefined || doc.partition === undefined || partitions.includes(doc.partition));
  }
}
