/**
 * Shapes of the Redis Streams replies this backend reads (RESP2), checked at run time because
 * `call()` returns `unknown`. Kept apart from redis.ts so they are unit-testable without a server.
 */

/** One stream entry; `fields` is null when the entry was trimmed away while still pending. */
export interface StreamEntry {
  readonly id: string;
  readonly fields: readonly string[] | null;
}

/** Field names of an entry: kept to one letter, since they are stored with every entry. */
export const ENTRY_FIELDS = { key: 'k', value: 'v' } as const;

/** XREADGROUP: `null` (nothing before BLOCK ran out) or `[[stream, [[id, fields|null], ...]], ...]`. */
export function parseReadGroupReply(reply: unknown): Map<string, StreamEntry[]> {
  const byStream = new Map<string, StreamEntry[]>();
  if (reply === null || reply === undefined) return byStream;
  if (!Array.isArray(reply)) throw new TypeError(`unexpected XREADGROUP reply: ${typeof reply}`);
  for (const streamReply of reply as unknown[]) {
    if (!Array.isArray(streamReply) || typeof streamReply[0] !== 'string' || !Array.isArray(streamReply[1])) {
      throw new TypeError('unexpected XREADGROUP stream reply');
    }
    byStream.set(streamReply[0], parseEntries(streamReply[1] as unknown[]));
  }
  return byStream;
}

/** XAUTOCLAIM: `[nextCursor, entries, deletedIds?]` (the third element exists from Redis 7). */
export function parseAutoClaimReply(reply: unknown): { cursor: string; claimed: number } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) {
    throw new TypeError('unexpected XAUTOCLAIM reply');
  }
  return { cursor: reply[0], claimed: (reply[1] as unknown[]).length };
}

/** The key and JSON value an entry was written with, or undefined for a trimmed entry. */
export function entryKeyAndValue(entry: StreamEntry): { key: string; value: string } | undefined {
  if (!entry.fields) return undefined;
  let key = '';
  let value: string | undefined;
  for (let index = 0; index + 1 < entry.fields.length; index += 2) {
    const name = entry.fields[index];
    const fieldValue = entry.fields[index + 1] as string;
    if (name === ENTRY_FIELDS.key) key = fieldValue;
    else if (name === ENTRY_FIELDS.value) value = fieldValue;
  }
  return value === undefined ? undefined : { key, value };
}

function parseEntries(entries: unknown[]): StreamEntry[] {
  return entries.map((entry) => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new TypeError('unexpected stream entry');
    const fields = entry[1];
    if (fields === null || fields === undefined) return { id: entry[0], fields: null };
    if (!Array.isArray(fields) || !fields.every((field) => typeof field === 'string')) {
      throw new TypeError(`unexpected fields of stream entry ${entry[0]}`);
    }
    return { id: entry[0], fields: fields as string[] };
  });
}
