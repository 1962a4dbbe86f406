/**
 * Joins of a stage of several tasks (docs/exactly-once.md): results are grouped in buckets of
 * ~sqrt(n); a completion lists its bucket, a full bucket lists the buckets' `joined/…` markers, and
 * the completion that sees every bucket full hands the stage's results to the transition (which only
 * one of concurrent last completers wins).
 */
import { bucketBounds, bucketSize, docIds, type JoinedDoc, type ResultDoc, type StageDoc } from '../../store/run-documents';
import { createAll, createOne } from '../../store/bulk';
import type { CreateResult, ListedDoc, StoredDoc } from '../../store/run-store';
import { nextInWindow } from '../../model/workflow';
import { cacheOf, readStage, type Handling } from './handling';
import { joinOf, joinOfMarkers, joinedMarker, storedResults } from './results';
import type { RunHead } from './run-head';
import { parkOf } from './parks';
import { claimDraft, ownedClaims, startTasks } from './task-starts';
import { completeJoined } from './transitions';

/** With a concurrency bound, the completion of element i starts element i + window (nextInWindow). */
export async function startNextInWindow(ctx: Handling, run: RunHead, stage: StageDoc, index: number): Promise<void> {
  const following = nextInWindow(index, stage.window, stage.taskCount);
  if (following === undefined) return;
  await startTasks(ctx, run, stage, [following], 1, 0);
}

/**
 * A completion's result and, with a concurrency bound, the claim of the element it starts (index +
 * window) in one `_bulk_docs`: two create-only decisions that are independent (each document is
 * decided on its own, lib/store/bulk.ts), which used to be two requests one after the other. Every
 * delivery of the completion proposes the same claim, whoever created the result, so its creator
 * starts the element once. A claim created here is checked against the stage's next transition
 * before anything starts (a cancel, a catch route), as a claim made on its own is; that read and the
 * join's read of the result's bucket both only need to follow the bulk create, so they go side by
 * side without bodies: whether the bucket is full (`full`), and whether the next transition's id
 * exists (`revisions`); on a store without keys-only reads, one `getMany` of the bucket's documents
 * and the next transition (`listed`). Returns the result's outcome.
 */
export async function recordAndStartNext(ctx: Handling, run: RunHead, stage: StageDoc, resultId: string, result: ResultDoc, index: number): Promise<{ written: CreateResult['outcome'] } & BucketRead> {
  const following = nextInWindow(index, stage.window, stage.taskCount);
  if (following === undefined) return { written: (await createOne(ctx.store, resultId, result)).outcome };
  const draft = claimDraft(ctx, run, stage, parkOf(run, stage), following, 1, 0);
  const [written, claimed] = await createAll(ctx.store, [{ id: resultId, body: result }, draft]);
  const owned = ownedClaims([draft], [claimed!]);
  // A claim that exists already goes the way of any lost claim (its own check, the take-over).
  if (owned.size === 0) {
    await startTasks(ctx, run, stage, [following], 1, 0);
    return { written: written!.outcome };
  }
  const { left, ...bucket } = await readAfterClaim(ctx, run, stage, index);
  if (!left) await startTasks(ctx, run, stage, [following], 1, 0, owned);
  return { written: written!.outcome, ...bucket };
}

/**
 * What a completion read of its result's bucket along with the next transition: whether all of the
 * bucket's results exist (`full`: only the completion that fills a bucket needs their bodies), or
 * the bucket's rows (`listed`, from `getMany`).
 */
export type BucketRead = { full?: boolean; listed?: ListedDoc<ResultDoc>[] };

/** Whether the stage was left (its next transition exists), and what the store read of `index`'s bucket with it. */
async function readAfterClaim(ctx: Handling, run: RunHead, stage: StageDoc, index: number): Promise<{ left: boolean } & BucketRead> {
  const { revisions, getMany } = ctx.store;
  if (!revisions && !getMany) return { left: (await readStage(ctx, run.runId, stage.position + 1)) !== undefined };
  const nextId = docIds.stage(run.runId, stage.position + 1);
  const cached = cacheOf(ctx).stages.get(nextId);
  const { bucket, first, count } = bucketBounds(index, stage.taskCount);
  if (revisions) {
    // The bucket as a range (one index scan) and the next transition by key, side by side:
    // `_all_docs` by keys costs pouchdb-server an index iterator per key, which made a bucket of
    // ~100 results (a 10,000-task map) the embedded CouchDB's largest cost. Of the range, only its
    // `count`-th row is asked for (a bucket holds at most one result per element): the server
    // still walks the range's keys, but neither it nor this container turns ~100 rows into JSON
    // and back on every completion, only to count them.
    const [rows, existing] = await Promise.all([
      ctx.store.listByPrefix(docIds.bucketPrefix(run.runId, stage.position, bucket), { skip: count - 1, limit: 1 }),
      cached ? undefined : revisions.call(ctx.store, [nextId]),
    ]);
    return { left: cached !== undefined || existing?.has(nextId) === true, full: rows.length > 0 };
  }
  const ids = Array.from({ length: count }, (_, offset) => docIds.result(run.runId, stage.position, first + offset, stage.taskCount));
  const docs = await getMany!.call(ctx.store, cached ? ids : [...ids, nextId]) as Map<string, StoredDoc<ResultDoc | StageDoc>>;
  const next = cached ?? (docs.get(nextId) as StoredDoc<StageDoc> | undefined);
  if (next) cacheOf(ctx).stages.set(nextId, next);
  // In id order, as a listing of the bucket's range answers.
  const listed = ids.flatMap((id) => { const doc = docs.get(id) as StoredDoc<ResultDoc> | undefined; return doc ? [{ id, doc }] : []; });
  return { left: next !== undefined, listed };
}

/**
 * Two-level join (see run-documents.ts): is the bucket of `index` full? then mark it joined; are
 * all buckets joined? then the stage is complete. Concurrent last writers may both see "complete";
 * the transition claim in `completeStage` lets only one of them decide.
 *
 * Round trips on the stage's last completion are the join's latency, so:
 * - the bucket is listed once, with its documents (a bucket is ~sqrt(n) small results): counting
 *   it first and reading it when full cost the last completion one more round trip, for ~1 ms
 *   less server time per completion on pouchdb-server;
 * - a full bucket lists the joined markers with their bodies before creating its own: when every
 *   other bucket already has its marker, the stage is complete without this bucket's marker (a
 *   marker is only ever created after a listing saw its bucket full) and the results are at hand.
 *   That is the usual case of the stage's last completion: bucket, markers, transition. Otherwise
 *   the marker is created and the markers are listed again after that create, so that of
 *   concurrent last bucket completers the one whose marker landed last sees them all. Markers
 *   carry only their results' values (see JoinedDoc), which keeps that listing about as cheap as
 *   a listing of ids. Listing the markers along with the bucket saves one more round trip, but on
 *   every completion it costs a listing per completion instead of one per full bucket (~20% more
 *   store requests on a 1,000-task map): only the completions of what this container knows to be
 *   the stage's last unjoined bucket do it.
 */
export async function joinIfComplete(ctx: Handling, run: RunHead, stageDoc: StageDoc, index: number, { listed, full }: BucketRead = {}): Promise<void> {
  const buckets = Math.ceil(stageDoc.taskCount / bucketSize(stageDoc.taskCount));
  const { bucket, count: expected } = bucketBounds(index, stageDoc.taskCount);
  const joinedPrefix = docIds.joinedPrefix(run.runId, stageDoc.position);
  const seenKey = `${run.runId}/${stageDoc.position}`;
  const listMarkers = async (): Promise<ListedDoc<JoinedDoc>[]> => {
    const rows = await ctx.store.listByPrefix<JoinedDoc>(joinedPrefix, { includeDocs: true });
    if (rows.length > (cacheOf(ctx).markersSeen.get(seenKey) ?? 0)) cacheOf(ctx).markersSeen.set(seenKey, rows.length);
    return rows;
  };
  // Once this container has seen every bucket but one joined, the stage is in its last bucket: its
  // completions list the markers along with the bucket (both after the result's create, so the
  // decision below is the same as with the listings one after the other), which takes a round trip
  // off the stage's last completion for at most one bucket's worth of extra listings.
  const early = buckets > 1 && (cacheOf(ctx).markersSeen.get(seenKey) ?? 0) >= buckets - 1 ? listMarkers() : undefined;
  // Not awaited when the bucket is not full: its failure must not go unhandled.
  early?.catch(() => undefined);
  // `full`/`listed`: the bucket as read after the result's create by the caller (recordAndStartNext).
  if (full === false) return;
  const bucketRows = listed ?? await ctx.store.listByPrefix<ResultDoc>(docIds.bucketPrefix(run.runId, stageDoc.position, bucket), { includeDocs: true });
  if (bucketRows.length < expected) return;
  const own = storedResults(bucketRows);
  // A single bucket needs no marker at all: it is the whole stage.
  if (buckets === 1) return completeStage(ctx, run, stageDoc, own.length === stageDoc.taskCount ? own : undefined);
  const markerId = docIds.joinedBucket(run.runId, stageDoc.position, bucket);
  let markers = await (early ?? listMarkers());
  if (markers.filter((row) => row.id !== markerId).length < buckets - 1) {
    await ctx.store.createOnly(markerId, joinedMarker(run.runId, stageDoc.position, bucket, own.length === expected ? own : undefined));
    markers = await listMarkers();
    if (markers.length < buckets) return;
  }
  const joined = joinOfMarkers(markers, bucket, own, stageDoc);
  // A marker without its results (a big bucket): the join reads the results themselves.
  if (!joined) return completeStage(ctx, run, stageDoc);
  await completeJoined(ctx, run, stageDoc, joined);
}

/**
 * Joins the stage's results in index order and enters what comes next (or fails the stage).
 * `known`: the stage's complete, stored results when the caller has them (a single-task stage).
 */
export async function completeStage(ctx: Handling, run: RunHead, stageDoc: StageDoc, known?: readonly ResultDoc[]): Promise<void> {
  const results = known ?? storedResults(await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, stageDoc.position), { includeDocs: true }));
  await completeJoined(ctx, run, stageDoc, joinOf(results, stageDoc.stageId));
}

