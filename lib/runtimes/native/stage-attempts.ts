/**
 * A stage's attempts as stored: the latest claim of each task (claims sort by index, then attempt)
 * and the tasks whose outcome is recorded. Read by the sweep (what to repair) and by
 * `whiskflow status` (what a run waits on).
 */
import { docIds, type InvokeDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';

export interface StageAttempts {
  /** Task index → its latest claim. */
  latest: Map<number, InvokeDoc>;
  /** Indexes of the tasks whose outcome is recorded. */
  reported: Set<number>;
  /** The stage's result document ids (their buckets name the joins to check). */
  resultIds: string[];
}

export async function stageAttempts(store: RunStore, runId: string, position: number): Promise<StageAttempts> {
  const [claims, results] = await Promise.all([
    store.listByPrefix<InvokeDoc>(docIds.invokesPrefix(runId, position), { includeDocs: true }),
    store.listByPrefix(docIds.resultsPrefix(runId, position)),
  ]);
  const latest = new Map<number, InvokeDoc>();
  for (const row of claims) if (row.doc) latest.set(row.doc.index, row.doc);
  const resultIds = results.map((row) => row.id);
  return { latest, reported: reportedIndexes(resultIds), resultIds };
}

/** The task indexes of result document ids (`docIds.result`: the index is the last segment). */
export function reportedIndexes(resultIds: readonly string[]): Set<number> {
  return new Set(resultIds.map((id) => Number(id.slice(id.lastIndexOf('/') + 1))));
}
