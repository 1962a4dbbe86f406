/**
 * Content-defined chunking (CDC) of text: FastCDC's gear hash with normalized chunking (Xia et al.,
 * "FastCDC: a Fast and Efficient Content-Defined Chunking Approach for Data Deduplication", USENIX
 * ATC 2016; the scheme restic and borg use for files).
 *
 * Why content-defined rather than fixed-size pieces: a cut is placed where the hash of the last 32
 * characters matches a mask, so it depends on the text around it and not on its offset. An edit
 * (a task's status, a result filled in, an event id appended) changes the chunk(s) around it; after
 * at most a chunk or two the cuts fall where they fell before, and every chunk further on is the
 * same text and hashes the same. Fixed-size pieces would all shift after an insertion.
 *
 * It works on a JS string (the checkpoint's JSON) by UTF-16 code units, so sizes are characters
 * (bytes for the ASCII that JSON mostly is), and never cuts between the two halves of a surrogate
 * pair: every chunk is a well-formed string that a store can hold as JSON text.
 *
 * No npm package fits: the registry has no maintained pure-JS FastCDC (only a 0.1 WebAssembly
 * binding and Rabin bindings for Buffers), and the algorithm is a few lines.
 */

export interface ChunkSizes {
  /** No cut before this many characters (FastCDC skips hashing them). */
  min: number;
  /** The cut mask is tuned so that chunks average about this. A power of two. */
  avg: number;
  /** A cut is forced here. */
  max: number;
}

/** 4/16/64 KiB, restic-like proportions scaled down: a 3 MB context is ~200 chunks. */
export const DEFAULT_CHUNK_SIZES: ChunkSizes = { min: 4 * 1024, avg: 16 * 1024, max: 64 * 1024 };

/**
 * 256 pseudo-random 32-bit values, one per low byte of a character (FastCDC's gear table). Fixed
 * (seeded splitmix32) so that the same text always cuts the same way in every process: changing the
 * seed or the sizes is safe (a head names its chunks) but makes the next checkpoint of each run
 * rewrite all of its chunks once.
 */
const GEAR: Int32Array = (() => {
  const table = new Int32Array(256);
  let state = 0x9e3779b9;
  for (let i = 0; i < table.length; i += 1) {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();

/**
 * A mask of the `bits` highest bits of the 32-bit hash. With `hash = (hash << 1) + gear`, bit k of
 * the hash depends on the last k+1 characters, so the high bits are the ones that see a window of
 * (up to) 32 characters; a cut needs all masked bits zero, which happens about once in 2^bits.
 */
function highBits(bits: number): number {
  return bits >= 32 ? -1 : (((1 << bits) - 1) << (32 - bits)) | 0;
}

interface Cutter {
  sizes: ChunkSizes;
  /** Stricter mask before `avg` and looser after it: FastCDC's normalized chunking (level 2) narrows the size spread. */
  maskSmall: number;
  maskLarge: number;
}

function cutter(sizes: ChunkSizes): Cutter {
  if (!(sizes.min >= 2 && sizes.min <= sizes.avg && sizes.avg <= sizes.max)) {
    throw new RangeError(`chunk sizes must satisfy 2 <= min <= avg <= max (got ${sizes.min}/${sizes.avg}/${sizes.max})`);
  }
  const bits = Math.round(Math.log2(sizes.avg));
  return { sizes, maskSmall: highBits(bits + 2), maskLarge: highBits(Math.max(1, bits - 2)) };
}

/** End (exclusive) of the chunk that starts at `start`. */
function nextCut(text: string, start: number, { sizes, maskSmall, maskLarge }: Cutter): number {
  const length = text.length;
  if (length - start <= sizes.min) return length;
  const max = Math.min(start + sizes.max, length);
  const normal = Math.min(start + sizes.avg, max);
  let hash = 0;
  let i = start + sizes.min;
  let end = max;
  // The hash starts cold at `min`, which is fine: 32 characters later it only depends on them.
  for (; i < normal; i += 1) {
    hash = ((hash << 1) + GEAR[text.charCodeAt(i) & 0xff]!) | 0;
    if ((hash & maskSmall) === 0) {
      end = i + 1;
      break;
    }
  }
  if (end === max) {
    for (; i < max; i += 1) {
      hash = ((hash << 1) + GEAR[text.charCodeAt(i) & 0xff]!) | 0;
      if ((hash & maskLarge) === 0) {
        end = i + 1;
        break;
      }
    }
  }
  // Keep surrogate pairs whole (end - 1 > start since min >= 2).
  if (end < length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  return end;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Offsets where the chunks of `text` end (the last is `text.length`); none for an empty text. */
export function chunkBoundaries(text: string, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): number[] {
  const cuts = cutter(sizes);
  const ends: number[] = [];
  for (let start = 0; start < text.length;) {
    start = nextCut(text, start, cuts);
    ends.push(start);
  }
  return ends;
}

/** `text` in content-defined chunks whose concatenation is `text`. */
export function chunkText(text: string, sizes: ChunkSizes = DEFAULT_CHUNK_SIZES): string[] {
  const chunks: string[] = [];
  let start = 0;
  for (const end of chunkBoundaries(text, sizes)) {
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}
