/**
 * Run contexts in the run store (`stream/<runId>`), written with CouchDB's compare-and-swap: a new
 * context is created only if none exists, a known one replaced only at the revision read. That
 * fences a zombie engine: after a rebalance, an engine still finishing a batch for a run another
 * engine has since advanced gets `StoreConflictError`, its batch is not acknowledged, and its
 * (deterministically identified) outputs are deduplicated downstream.
 *
 * Delta checkpoints: a context is O(tasks) (task records, seen event ids, a map's items and
 * results), and a batch changes a little of it. A context whose JSON is below `inlineLimit` is the
 * head document itself, exactly as it always was. A larger one of a running run is cut into
 * content-defined chunks (content-chunker.ts), each a create-only, content-addressed document
 * (context-chunks.ts); the head then names them in order. A checkpoint writes the chunks the
 * previous head did not name (those around the batch's edits) and then the head: the head's
 * create/compare-and-swap still alone decides which context is the run's, so the fencing above and
 * all exactly-once reasoning are unchanged. Chunks are durable before the head that names them.
 */
import { StoreConflictError, WhiskflowError } from '../../errors';
import { createOne, removeAll } from '../../store/bulk';
import { forEachLimited } from '../../limited';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { upgradeStageVisits } from '../../store/legacy-position';
import { chunkText, DEFAULT_CHUNK_SIZES, type ChunkSizes } from './content-chunker';
import { CHUNK_PREFIX, chunkHash, readChunks, removeRunChunks, runIdOfChunk, writeChunks } from './context-chunks';
import { CONTEXT_PREFIX, contextDocId, type StreamRunContext, type Timer } from './run-context';

/**
 * A checkpoint as read or written. `chunks` (the hashes the head names, in order; absent for an
 * inline context) is a non-enumerable property: spreads of the context (the engine copies it to
 * apply events) and JSON never carry it, only the object this store handed out does, so a save over
 * it knows which chunks already exist.
 */
export type StoredContext = StoredDoc<StreamRunContext> & { readonly chunks?: readonly string[] };

/** The head of a chunked context: what `withTimers` needs without reading chunks, and the chunk list. */
export interface ChunkedContextHead {
  type: 'stream-run-chunked';
  runId: string;
  partition?: number;
  /**
   * Whether the context has timers. Not the timers themselves: a map whose tasks have a timeout has
   * one timer per running task, which would make the head O(tasks) again.
   */
  hasTimers: boolean;
  /** SHA-256 of each chunk, in order: `stream-chunk/<runId>/<hash>`. */
  chunks: string[];
  /** Length of the whole JSON text, checked on load. */
  length: number;
}

type ContextHead = StreamRunContext | ChunkedContextHead;

/** The timers of a run, as `withTimers` answers them. */
export interface RunTimers {
  runId: string;
  timers: Record<string, Timer>;
  partition?: number;
}

export interface ContextStoreOptions {
  /**
   * Contexts whose JSON is shorter (characters) are stored inline, as one document. 64 KiB: a small
   * run pays nothing for chunking; `Infinity` turns chunking off.
   */
  inlineLimit?: number;
  chunkSizes?: ChunkSizes;
  /** Told when deleting a finished run's chunks failed (they are then left behind). */
  onGarbageError?: (runId: string, error: unknown) => void;
}

const DEFAULT_INLINE_LIMIT = 64 * 1024;

/**
 * A context with fewer task records and applied event ids than this is stored inline without
 * measuring its JSON: at ~150 characters per entry it stays far below the inline limit, and the
 * throughput-bound engine saves thousands of such small contexts per second, where one more
 * `JSON.stringify` each would cost ~10% of its CPU. (A few tasks with huge results stay inline, as
 * they always were: chunking is for runs with many tasks, which checkpoint many times.)
 */
const MEASURE_FROM_ENTRIES = 200;

function entriesOf(context: StreamRunContext): number {
  return context.state.seenEventIds.length + Object.keys(context.state.tasks).length;
}

/** What `collectLeftoverChunks` found and deleted. */
export interface LeftoverChunks {
  /** Runs that have chunk documents (running ones included). */
  runsWithChunks: number;
  /** Of those, runs that have finished: their chunks were deleted. */
  finishedRuns: number;
  /** Chunk documents deleted. */
  removed: number;
}

/** Runs whose heads are read (and chunks deleted) at once by `collectLeftoverChunks`. */
const GARBAGE_CONCURRENCY = 4;

/** Contexts read whole at once by `withTimers` (chunked runs with timers). */
const TIMER_LOAD_CONCURRENCY = 4;

export class ContextStore {
  private readonly inlineLimit: number;
  private readonly chunkSizes: ChunkSizes;

  constructor(private readonly store: RunStore, private readonly options: ContextStoreOptions = {}) {
    this.inlineLimit = options.inlineLimit ?? DEFAULT_INLINE_LIMIT;
    this.chunkSizes = options.chunkSizes ?? DEFAULT_CHUNK_SIZES;
  }

  /** The run's last checkpoint; a chunked one is read back whole (throws `CheckpointChunkError` if it cannot be). */
  async load(runId: string): Promise<StoredContext | undefined> {
    const head = await this.store.get<ContextHead>(contextDocId(runId));
    if (!head || head.type !== 'stream-run-chunked') return head && upgradeStageVisits(head as StoredContext);
    const text = await readChunks(this.store, runId, head.chunks);
    if (text.length !== head.length) {
      throw new WhiskflowError('STORE_UNAVAILABLE', `run context of ${runId} cannot be read: its chunks hold ${text.length} characters, its head says ${head.length}`, { runId }, true);
    }
    const context = upgradeStageVisits(JSON.parse(text) as StreamRunContext);
    return withChunks({ ...context, _id: head._id, _rev: head._rev }, head.chunks);
  }

  /**
   * Writes `context` over `previous` (undefined: the run is new). Returns the stored form with its
   * new revision; throws `StoreConflictError` when another writer got there first.
   */
  async save(context: StreamRunContext, previous: StoredContext | undefined): Promise<StoredContext> {
    const id = contextDocId(context.runId);
    const body = contextBody(context);
    const chunks = this.chunked(body, previous);
    const head: ContextHead = chunks ? await this.writeChunks(body, chunks, previous) : body;
    let rev: string;
    if (!previous) {
      // The create answers the revision: no read of the whole context back.
      const created = await createOne(this.store, id, head);
      if (created.outcome === 'exists') throw new StoreConflictError(id);
      rev = created.rev;
    } else {
      rev = await this.store.replace<ContextHead>({ ...head, _id: id, _rev: previous._rev });
    }
    // Garbage: only once the run has finished and its head, now inline, won the compare-and-swap.
    // Never while it runs: chunks are shared by consecutive heads (that is the point), and a zombie
    // engine's late delete of a chunk its own, superseded head no longer named could remove one the
    // new owner's head names, and the context would be lost. A finished run's head is inline for good
    // (every later save of it is), so nothing can name its chunks any more.
    if (!chunks && previous?.chunks) await this.collectGarbage(context.runId);
    return withChunks({ ...body, _id: id, _rev: rev }, chunks?.hashes);
  }

  /** Timers of runs still running, optionally only of some partitions. */
  async withTimers(partitions?: readonly number[]): Promise<RunTimers[]> {
    const rows = await this.store.listByPrefix<ContextHead>(CONTEXT_PREFIX, { includeDocs: true });
    const heads = rows
      .map((row) => row.doc)
      .filter((doc): doc is StoredDoc<ContextHead> => doc !== undefined)
      .filter((doc) => partitions === undefined || doc.partition === undefined || partitions.includes(doc.partition));
    const found: RunTimers[] = [];
    const chunked: string[] = [];
    for (const head of heads) {
      if (head.type === 'stream-run-chunked') {
        if (head.hasTimers) chunked.push(head.runId);
      } else if (Object.keys(head.timers).length > 0) {
        found.push(timersOf(head));
      }
    }
    // Chunked contexts with timers are read whole, a few at a time (rare: an assignment).
    await forEachLimited(chunked, TIMER_LOAD_CONCURRENCY, async (runId) => {
      const context = await this.load(runId);
      if (context && Object.keys(context.timers).length > 0) found.push(timersOf(context));
    });
    return found;
  }

  /**
   * Deletes the chunks of finished runs that their finishing save left behind: the engine died
   * between that save and its garbage collection, or the delete failed. Lists chunk ids only (no
   * documents), then reads the head of each run they belong to. A run whose head is missing (its
   * first checkpoint writes its chunks before the head) or still running keeps them; a finished
   * head is inline for good, so nothing can name its chunks again (see `save`).
   */
  async collectLeftoverChunks(): Promise<LeftoverChunks> {
    const chunksByRun = new Map<string, string[]>();
    for (const row of await this.store.listByPrefix(CHUNK_PREFIX)) {
      const runId = runIdOfChunk(row.id);
      if (runId === undefined) continue;
      const ids = chunksByRun.get(runId);
      if (ids) ids.push(row.id);
      else chunksByRun.set(runId, [row.id]);
    }
    const report: LeftoverChunks = { runsWithChunks: chunksByRun.size, finishedRuns: 0, removed: 0 };
    await forEachLimited([...chunksByRun], GARBAGE_CONCURRENCY, async ([runId, ids]) => {
      const head = await this.store.get<ContextHead>(contextDocId(runId));
      if (!head || head.type === 'stream-run-chunked' || head.state.status === 'running') return;
      report.finishedRuns += 1;
      // The ids listed above; a chunk a zombie engine writes after this is collected at the next start.
      report.removed += await removeAll(this.store, ids);
    });
    return report;
  }

  /**
   * The chunks to store `body` as, or undefined to store it inline. Only a running run is chunked;
   * once chunked it stays so while it runs (even if it shrank), so that a chunked run's finishing
   * save is the one that knows to collect its chunks.
   */
  private chunked(body: StreamRunContext, previous: StoredContext | undefined): { texts: string[]; hashes: string[]; length: number } | undefined {
    if (body.state.status !== 'running') return undefined;
    if (!previous?.chunks && (this.inlineLimit === Infinity || entriesOf(body) < MEASURE_FROM_ENTRIES)) return undefined;
    const text = JSON.stringify(body);
    if (text.length < this.inlineLimit && !previous?.chunks) return undefined;
    const texts = chunkText(text, this.chunkSizes);
    return { texts, hashes: texts.map(chunkHash), length: text.length };
  }

  /** Creates the chunks the previous head does not name (durably, before the head names them) and builds the head. */
  private async writeChunks(body: StreamRunContext, chunks: { texts: string[]; hashes: string[]; length: number }, previous: StoredContext | undefined): Promise<ChunkedContextHead> {
    await writeChunks(this.store, body.runId, chunks.texts, chunks.hashes, new Set(previous?.chunks ?? []));
    return {
      type: 'stream-run-chunked',
      runId: body.runId,
      ...(body.partition !== undefined ? { partition: body.partition } : {}),
      hasTimers: Object.keys(body.timers).length > 0,
      chunks: chunks.hashes,
      length: chunks.length,
    };
  }

  /** Best effort: a failure leaves garbage, not a wrong context, and must not fail the batch that finished the run. */
  private async collectGarbage(runId: string): Promise<void> {
    try {
      await removeRunChunks(this.store, runId);
    } catch (error) {
      this.options.onGarbageError?.(runId, error);
    }
  }
}

/** The context without anything a stored form carries (`_id`, `_rev`, `chunks`), whatever was passed. */
function contextBody(context: StreamRunContext): StreamRunContext {
  const { _id, _rev, chunks, ...body } = context as StreamRunContext & { _id?: unknown; _rev?: unknown; chunks?: unknown };
  return body;
}

function withChunks(stored: StoredDoc<StreamRunContext>, hashes: readonly string[] | undefined): StoredContext {
  if (hashes) Object.defineProperty(stored, 'chunks', { value: hashes, enumerable: false });
  return stored;
}

function timersOf(context: StreamRunContext): RunTimers {
  return { runId: context.runId, timers: context.timers, ...(context.partition !== undefined ? { partition: context.partition } : {}) };
}
