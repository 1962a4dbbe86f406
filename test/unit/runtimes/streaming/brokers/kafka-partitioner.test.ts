import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { FastDefaultPartitioner, murmur2 } from '../../../../../lib/runtimes/streaming/brokers/kafka-partitioner';

// kafkajs's own (64-bit Long) murmur2, the reference the fast one must match bit for bit.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: string | Buffer) => number;

function keys(): string[] {
  const list = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'run-1', 'bench-mj3k2-999', 'ünïcödé-🚀-run', '\u0000\u00ff'];
  for (let length = 0; length < 64; length += 1) list.push(randomBytes(length).toString('base64').slice(0, length));
  for (let index = 0; index < 300; index += 1) list.push(`run-${randomBytes(8).toString('hex')}-${index}`);
  return list;
}

function metadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: partitionId === 1 ? -1 : 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
}

describe('Kafka partitioner', () => {
  test('murmur2 equals kafkajs\'s for ASCII, UTF-8 and binary keys of every length mod 4', () => {
    for (const key of keys()) expect({ key, hash: murmur2(key) }).toEqual({ key, hash: kafkajsMurmur2(key) });
    const binary = randomBytes(37);
    expect(murmur2(binary)).toBe(kafkajsMurmur2(binary));
  });

  test('chooses the partition kafkajs\'s DefaultPartitioner chooses, also for a key asked twice', () => {
    const fast = FastDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 8, 12]) {
      const partitionMetadata = metadata(partitions);
      for (const key of [...keys(), ...keys().slice(0, 20)]) {
        const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
        expect({ key, partition: fast(args) }).toEqual({ key, partition: reference(args) });
      }
    }
  });

  test('keeps an explicit partition', () => {
    const fast = FastDefaultPartitioner();
    expect(fast({ topic: 't', partitionMetadata: metadata(8), message: { key: 'run-1', value: 'v', partition: 5 } })).toBe(5);
  });
});
