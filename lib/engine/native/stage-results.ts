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
import { docIds } from '../../store/run-documents';
import { getAll } from '../../store/bulk';
import { traceNote } from './activation-trace';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { LruMap } from '../lru-map';

interface StageEntry {
  taskCount: number;
  docs: (ResultDoc | undefined)[];
}

/** Stages remembered per container; a joined stage is forgotten, so only stages in flight count. */
const STAGES = 16;
/**
 * Up to this share of a stage missing, its results are read by id: two containers serving a fan-in
 * each miss about half. Reading a document by key costs the store about what a range listing
 * costs per document, so only a cold container (missing nearly all) lists the stage instead.
 */
const FETCH_BY_ID_UP_TO = 0.8;
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
   * missing ones read by id (one `_all_docs` request with their keys). When nearly all are missing
   * (a cold container), one listing of the whole stage is cheaper than naming each id.
   */
  async joined(store: RunStore, runId: string, seq: number, taskCount: number): Promise<ResultDoc[]> {
    const key = `${runId}/${seq}`;
    const entry = this.stages.get(key);
    this.stages.delete(key);
    const docs = entry?.taskCount === taskCount ? entry.docs : new Array<ResultDoc | undefined>(taskCount);
    const missing: number[] = [];
    for (let index = 0; index < taskCount; index += 1) if (!docs[index]) missing.push(index);
    traceNote(`join:${taskCount - missing.length}/${taskCount}-remembered`);
    if (missing.length > taskCount * FETCH_BY_ID_UP_TO) {
      const rows = await store.listByPrefix<ResultDoc>(docIds.resultsPrefix(runId, seq), { includeDocs: true });
      for (const row of rows) place(docs, row.doc, taskCount);
    } else if (missing.length > 0) {
      const read = await getAll<ResultDoc>(store, missing.map((index) => docIds.result(runId, seq, index, taskCount)));
      for (const doc of read) place(docs, doc, taskCount);
    }
    return docs.filter((doc): doc is ResultDoc => doc !== undefined);
  }
}

function place(docs: (ResultDoc | undefined)[], doc: StoredDoc<ResultDoc> | undefined, taskCount: number): void {
  if (doc && doc.index >= 0 && doc.index < taskCount) docs[doc.index] = doc;
}
