/**
 * The results of a wide stage that a warm orchestrator container wrote itself, so that the
 * activation completing the join reads only what other containers wrote. Reading all of a
 * 1,000-task stage's results back with their documents was the longest store request on the
 * join's critical path; with one or two containers serving a fan-in, most are already here.
 *
 * Sound because a result document is create-only: the one a container created is the stored one
 * for good. A result this container did not create (its create answered "exists") is never taken
 * from here, so mixing remembered and listed documents joins exactly what the store holds.
 */
import type { ResultDoc } from '../../store/run-documents';
import { bucketSize, docIds } from '../../store/run-documents';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { LruMap } from '../lru-map';

interface StageEntry {
  taskCount: number;
  docs: (ResultDoc | undefined)[];
}

/** Stages remembered per container; a joined stage is forgotten, so only stages in flight count. */
const STAGES = 16;
/** Wider stages are not remembered: the documents would outweigh the read they save. */
const MAX_TASKS = 20_000;

export class StageResults {
  private readonly stages = new LruMap<StageEntry>(STAGES);

  /** Records a result this container created (the store's copy for good). */
  remember(doc: ResultDoc, taskCount: number): void {
    if (taskCount < 2 || taskCount > MAX_TASKS || doc.index < 0 || doc.index >= taskCount) return;
    const key = `${doc.runId}/${doc.seq}`;
    let entry = this.stages.get(key);
    if (!entry || entry.taskCount !== taskCount) {
      entry = { taskCount, docs: new Array<ResultDoc | undefined>(taskCount) };
      this.stages.set(key, entry);
    }
    entry.docs[doc.index] = doc;
  }

  /**
   * All results of a stage known to be complete, in index order: the remembered ones plus the
   * buckets (result ranges) that miss some, each listed with its documents. When most buckets
   * miss some, one listing of the whole stage is cheaper than many small ones.
   */
  async joined(store: RunStore, runId: string, seq: number, taskCount: number): Promise<ResultDoc[]> {
    const key = `${runId}/${seq}`;
    const entry = this.stages.get(key);
    this.stages.delete(key);
    const docs = entry?.taskCount === taskCount ? entry.docs : new Array<ResultDoc | undefined>(taskCount);
    const size = bucketSize(taskCount);
    const buckets = Math.ceil(taskCount / size);
    const missing: number[] = [];
    for (let bucket = 0; bucket < buckets; bucket += 1) {
      for (let index = bucket * size; index < Math.min(taskCount, (bucket + 1) * size); index += 1) {
        if (!docs[index]) { missing.push(bucket); break; }
      }
    }
    const listings = missing.length * 2 > buckets
      ? [docIds.resultsPrefix(runId, seq)]
      : missing.map((bucket) => docIds.bucketPrefix(runId, seq, bucket));
    const rows = (await Promise.all(listings.map((prefix) => store.listByPrefix<ResultDoc>(prefix, { includeDocs: true })))).flat();
    for (const row of rows) {
      const doc: StoredDoc<ResultDoc> | undefined = row.doc;
      if (doc && doc.index >= 0 && doc.index < taskCount) docs[doc.index] = doc;
    }
    return docs.filter((doc): doc is ResultDoc => doc !== undefined);
  }
}
