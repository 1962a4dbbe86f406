/** Content-defined chunking: same text, same cuts; an edit changes only the chunks around it. */
import { createHash } from 'node:crypto';
import { chunkBoundaries, chunkText, DEFAULT_CHUNK_SIZES, type ChunkSizes } from '../../../../lib/runtimes/streaming/content-chunker';

/** JSON like a 10,000-task context's: repetitive in shape, varied in content (ids, times). */
function bigJson(tasks = 10_000): string {
  const records: Record<string, object> = {};
  for (let i = 0; i < tasks; i += 1) {
    const key = `fan.1.${i}.1`;
    records[key] = { taskKey: key, stageId: 'fan', action: 'noop', status: 'started', startedAt: new Date(1_700_000_000_000 + i * 7).toISOString(), activationId: hex(i) };
  }
  return JSON.stringify({ runId: 'r', tasks: records, seen: Array.from({ length: tasks }, (_, i) => `r/fan.1.${i}.1/${hex(i + tasks).slice(0, 12)}`) });
}

function hex(n: number): string {
  return createHash('sha256').update(String(n)).digest('hex').slice(0, 32);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How many chunks of `after` are not chunks of `before`. */
function newChunks(before: string, after: string, sizes?: ChunkSizes): number {
  const known = new Set(chunkText(before, sizes));
  return chunkText(after, sizes).filter((chunk) => !known.has(chunk)).length;
}

describe('content-defined chunking', () => {
  const text = bigJson();

  it('cuts the same text the same way, within the size bounds, and concatenates back byte-exactly', () => {
    const chunks = chunkText(text);
    expect(chunkBoundaries(text)).toEqual(chunkBoundaries(`${text}`));
    expect(chunks.join('')).toBe(text);
    const { min, max } = DEFAULT_CHUNK_SIZES;
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(min);
      expect(chunk.length).toBeLessThanOrEqual(max);
    }
    expect(chunks.at(-1)!.length).toBeLessThanOrEqual(max);
    // Content decides the cuts: not all at max (fixed size), and about the average.
    const average = text.length / chunks.length;
    expect(average).toBeGreaterThan(DEFAULT_CHUNK_SIZES.avg / 2);
    expect(average).toBeLessThan(DEFAULT_CHUNK_SIZES.avg * 2);
    expect(new Set(chunks.map((chunk) => chunk.length)).size).toBeGreaterThan(chunks.length / 2);
  });

  it('changes one or two chunks for an edit in the middle (a task finishing)', () => {
    const middle = text.indexOf('"fan.1.5000.1":{');
    const at = text.indexOf('"status":"started"', middle);
    const edited = `${text.slice(0, at)}"status":"succeeded","endedAt":"2024-01-01T00:00:00.000Z"${text.slice(at + '"status":"started"'.length)}`;
    expect(chunkText(edited).join('')).toBe(edited);
    expect(newChunks(text, edited)).toBeLessThanOrEqual(2);
  });

  it('resynchronizes after an insertion and after a deletion (fixed-size pieces would all shift)', () => {
    const at = Math.floor(text.length / 3);
    expect(newChunks(text, `${text.slice(0, at)}${'x'.repeat(1000)}${text.slice(at)}`)).toBeLessThanOrEqual(3);
    expect(newChunks(text, `${text.slice(0, at)}${text.slice(at + 5000)}`)).toBeLessThanOrEqual(3);
    // Appending (an event id) changes the tail only.
    expect(newChunks(text, `${text}${'y'.repeat(100)}`)).toBeLessThanOrEqual(1);
  });

  it('never splits a surrogate pair, so every chunk is a well-formed string', () => {
    // Pseudo-random, so that cuts fall everywhere (a periodic text cuts at the same few phases).
    let seed = 1;
    const random = (): number => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    const emoji = Array.from({ length: 20_000 }, () => (random() < 0.3 ? '\u{1F600}' : String.fromCharCode(97 + Math.floor(random() * 26)))).join('');
    const sizes = { min: 16, avg: 64, max: 128 };
    const chunks = chunkText(emoji, sizes);
    expect(chunks.join('')).toBe(emoji);
    for (const chunk of chunks) {
      expect(chunk).not.toMatch(LONE_SURROGATE);
      expect(chunk.length).toBeLessThanOrEqual(sizes.max);
    }
  });

  it('handles texts shorter than the minimum and refuses inconsistent sizes', () => {
    expect(chunkText('')).toEqual([]);
    expect(chunkText('{"a":1}')).toEqual(['{"a":1}']);
    expect(() => chunkText(text, { min: 10, avg: 5, max: 20 })).toThrow(RangeError);
  });
});
