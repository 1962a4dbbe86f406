/**
 * kafkajs's DefaultPartitioner (Java-compatible murmur2 of the key), made cheap. kafkajs hashes
 * every message with 64-bit `Long` objects and filters the partition list per message, about a
 * tenth of the Condition Engine's CPU on Kafka; here the hash is 32-bit `Math.imul` arithmetic (the
 * same result: only the low 32 bits of kafkajs's products and xors ever reach its `toInt()`, see the
 * unit test comparing the two) and remembered per key, since a run's events share one key.
 * Messages without a key, or with a partition of their own, go to kafkajs's partitioner unchanged.
 */
import { Partitioners, type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 of the key's UTF-8 bytes, as a signed 32-bit integer (what kafkajs returns). */
export function murmur2(key: string | Buffer): number {
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1 to 3 bytes, falling through as in Kafka's Java code.
  switch (length & 3) {
    case 3:
      h ^= data[whole + 2]! << 16;
    // falls through
    case 2:
      h ^= data[whole + 1]! << 8;
    // falls through
    case 1:
      h ^= data[whole]!;
      h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Hashes remembered per partitioner; cleared when full (run ids come and go, a few thousand at a time). */
const MAX_REMEMBERED_KEYS = 50_000;

export const FastDefaultPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  const hashes = new Map<string, number>();
  return (args: PartitionerArgs): number => {
    const { message, partitionMetadata } = args;
    if (typeof message.key !== 'string' || (message.partition !== undefined && message.partition !== null)) return fallback(args);
    let hash = hashes.get(message.key);
    if (hash === undefined) {
      if (hashes.size >= MAX_REMEMBERED_KEYS) hashes.clear();
      hash = murmur2(message.key);
      hashes.set(message.key, hash);
    }
    // As kafkajs: toPositive (not Math.abs), modulo all partitions, available or not.
    return (hash & 0x7fffffff) % partitionMetadata.length;
  };
};
