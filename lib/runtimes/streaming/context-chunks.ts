/**
 * The chunk documents of a large run context (see context-store.ts): `stream-chunk/<runId>/<sha256>`,
 * each a piece of the context's JSON text, content-addressed and create-only.
 *
 * Content addressing is what makes them safe to share between writers without any compare-and-swap:
 * a chunk id names exactly one text, so two engines (a live one and a zombie) creating the same id
 * write the same thing, and `exists` means "already there, same content". Which chunks make up the
 * context is decided by the head `stream/<runId>`, and only its compare-and-swap decides.
 *
 * The prefix is deliberately not under `stream/`: that range is listed by `withTimers` and must hold
 * only heads.
 */
import { createHash } from 'node:crypto';
import { WhiskflowError } from '../../errors';
import { createAll, removeAll } from '../../store/bulk';
import { forEachLimited } from '../../limited';
import type { RunStore } from '../../store/run-store';

export const CHUNK_PREFIX = 'stream-chunk/';

/** Every chunk of one run, and only of that run (the trailing `/` keeps run `a` from matching `ab`). */
export function runChunkPrefix(runId: string): string {
  return `${CHUNK_PREFIX}${runId}/`;
}

export function chunkDocId(runId: string, hash: string): string {
  return `${runChunkPrefix(runId)}${hash}`;
}

const CHUNK_HASH = /^[0-9a-f]{64}$/;

/** The run a chunk id belongs to, or undefined for an id that is no chunk's (run ids may hold `/`; hashes never do). */
export function runIdOfChunk(id: string): string | undefined {
  if (!id.startsWith(CHUNK_PREFIX)) return undefined;
  const slash = id.lastIndexOf('/');
  if (slash < CHUNK_PREFIX.length || !CHUNK_HASH.test(id.slice(slash + 1))) return undefined;
  return id.slice(CHUNK_PREFIX.length, slash);
}

export function chunkHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface ChunkDoc {
  type: 'stream-chunk';
  runId: string;
  text: string;
}

/**
 * A chunk a head names is missing or does not hash to its name: the stored context cannot be
 * rebuilt. Never papered over (a wrong context would replay effects or lose them); retryable, as
 * the engine's batch is, since an eventually consistent store (Cloudant) may just not show it yet.
 */
export class CheckpointChunkError extends WhiskflowError {
  constructor(readonly runId: string, readonly chunkId: string, readonly problem: 'missing' | 'corrupt') {
    super('STORE_UNAVAILABLE', `run context of ${runId} cannot be read: chunk ${chunkId} is ${problem}`, { runId, chunkId, problem }, true);
    this.name = 'CheckpointChunkError';
  }
}

/** Reads of chunks in flight per context load: enough to hide latency, few enough not to flood the store. */
const READ_CONCURRENCY = 8;

/**
 * Creates the chunks `hashes`/`texts` that `known` (the chunks of the head being replaced) does not
 * name, in bulk, and resolves once they are durable: a head may only name chunks that exist.
 * `exists` outcomes are fine (same id, same text). Returns how many documents were sent.
 */
export async function writeChunks(store: RunStore, runId: string, texts: readonly string[], hashes: readonly string[], known: ReadonlySet<string>): Promise<number> {
  const fresh = new Map<string, string>();
  hashes.forEach((hash, index) => {
    if (!known.has(hash)) fresh.set(hash, texts[index]!);
  });
  const docs = [...fresh].map(([hash, text]) => ({ id: chunkDocId(runId, hash), body: { type: 'stream-chunk', runId, text } satisfies ChunkDoc }));
  await createAll(store, docs);
  return docs.length;
}

/** The text of the chunks `hashes`, in order, each checked against its hash. */
export async function readChunks(store: RunStore, runId: string, hashes: readonly string[]): Promise<string> {
  const texts = new Array<string>(hashes.length);
  await forEachLimited(hashes, READ_CONCURRENCY, async (hash, index) => {
    const id = chunkDocId(runId, hash);
    const doc = await store.get<ChunkDoc>(id);
    if (!doc) throw new CheckpointChunkError(runId, id, 'missing');
    if (typeof doc.text !== 'string' || chunkHash(doc.text) !== hash) throw new CheckpointChunkError(runId, id, 'corrupt');
    texts[index] = doc.text;
  });
  return texts.join('');
}

/**
 * Deletes every chunk document of a run. Only for a run whose head no longer names chunks and never
 * will again (it finished: see `ContextStore.save`). Listing the run's own prefix catches the chunks
 * of superseded heads and of zombies too. Returns how many were deleted.
 */
export async function removeRunChunks(store: RunStore, runId: string): Promise<number> {
  // Only this run's: a run id may hold a `/`, and run `a/b`'s chunks are in run `a`'s range.
  const ids = (await store.listByPrefix(runChunkPrefix(runId))).map((row) => row.id).filter((id) => runIdOfChunk(id) === runId);
  return removeAll(store, ids);
}
