/**
 * Key-to-partition hashing for backends without their own partitioner (Redis Streams keeps one
 * stream per partition). Kafka uses its client's murmur2 partitioner instead, so the two backends
 * need not agree: only that one key always maps to one partition matters.
 */

/** 32-bit FNV-1a over the key's UTF-16 code units: fast, and spreads short run ids well. */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The partition in `[0, partitions)` that carries every event of `key`. */
export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer (got ${partitions})`);
  }
  return hashKey(key) % partitions;
}

/**
 * Which partitions `member` owns when `members` share `partitions`: round-robin over the members
 * sorted by name, so every member computes the same disjoint, complete assignment on its own.
 */
export function assignPartitions(member: string, members: readonly string[], partitions: number): number[] {
  const sorted = [...new Set(members)].sort();
  const position = sorted.indexOf(member);
  if (position < 0) return [];
  const owned: number[] = [];
  for (let partition = position; partition < partitions; partition += sorted.length) owned.push(partition);
  return owned;
}
