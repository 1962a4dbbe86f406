/**
 * A stage's task results as the join reads them: the result documents of a listing, the joined
 * markers' copies of a full bucket's results, and the stage's outcome in index order. Pure.
 */
import type { Json } from '../../model/json';
import type { JoinedDoc, ResultDoc, RunFailure, StageDoc } from '../../store/run-documents';
import { withoutMeta, type ListedDoc } from '../../store/run-store';

/** Result documents of a listing, without `_id`/`_rev`. */
export function storedResults(rows: readonly ListedDoc<ResultDoc>[]): ResultDoc[] {
  return rows.flatMap((row) => (row.doc ? [withoutMeta(row.doc) as ResultDoc] : []));
}

/**
 * Bigger buckets' markers carry no results: a document must stay well below CouchDB's and
 * Cloudant's size limits (8 MB and 1 MB), and the join then reads the results themselves.
 */
const MARKER_RESULTS_MAX_CHARS = 256 * 1024;

/** The marker of a full bucket: the values when all succeeded, else the result documents, if small enough; the attempts they took. */
export function joinedMarker(runId: string, position: number, bucket: number, results: readonly ResultDoc[] | undefined): JoinedDoc {
  const marker: JoinedDoc = { type: 'joined', runId, position, bucket };
  if (!results) return marker;
  const carried: Pick<JoinedDoc, 'values' | 'results'> = results.every((result) => result.ok)
    ? { values: results.map((result) => result.result ?? null) }
    : { results: [...results] };
  const attempts = results.reduce((sum, result) => sum + result.attempt, 0);
  return JSON.stringify(carried).length <= MARKER_RESULTS_MAX_CHARS ? { ...marker, ...carried, attempts } : { ...marker, attempts };
}

/**
 * A complete stage as the join read it: every result's value in index order, or the failure that
 * decides it. Under a completion policy, only the values that counted, and `indexes` says whose.
 */
export type JoinedStage = { ok: true; values: Json[]; indexes?: number[] } | { ok: false; failure: RunFailure };

/** The outcome of complete results (index order): the lowest index's failure decides, if any. */
export function joinOf(results: readonly ResultDoc[], stageId: string): JoinedStage {
  const failed = results.find((result) => !result.ok);
  if (failed) return { ok: false, failure: failed.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown', stageId } };
  return { ok: true, values: results.map((result) => result.result ?? null) };
}

/**
 * The stage's outcome from the buckets' markers (results are create-only, and a marker is only
 * created after its bucket was seen full, so a marker's copy is the stored one for good) plus the
 * bucket `own` (full, just listed), in index order; undefined when a marker carries nothing (a big
 * bucket) or the copies do not add up, so that the join reads the results themselves.
 */
export function joinOfMarkers(markers: readonly ListedDoc<JoinedDoc>[], ownBucket: number, own: readonly ResultDoc[], stageDoc: Pick<StageDoc, 'taskCount' | 'stageId'>): JoinedStage | undefined {
  const byBucket = new Map<number, JoinedStage>([[ownBucket, joinOf(own, stageDoc.stageId)]]);
  let count = own.length;
  for (const row of markers) {
    const marker = row.doc;
    if (!marker || marker.bucket === ownBucket || byBucket.has(marker.bucket)) continue;
    const carried = marker.values ?? marker.results;
    if (!carried) return undefined;
    count += carried.length;
    byBucket.set(marker.bucket, marker.values ? { ok: true, values: marker.values } : joinOf(marker.results!, stageDoc.stageId));
  }
  if (count !== stageDoc.taskCount) return undefined;
  const values: Json[] = [];
  for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
    const part = byBucket.get(bucket)!;
    // Buckets in index order: the first failed one holds the stage's lowest failed index.
    if (!part.ok) return part;
    values.push(...part.values);
  }
  return { ok: true, values };
}
