import { assignPartitions, hashKey, partitionForKey } from '../../../../../lib/runtimes/streaming/brokers/partitioning';

describe('partitionForKey', () => {
  test.each([1, 4, 8, 13])('maps every key into [0, %i) and the same key always to the same partition', (partitions) => {
    for (let run = 0; run < 500; run += 1) {
      const partition = partitionForKey(`run-${run}`, partitions);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(partitions);
      expect(partitionForKey(`run-${run}`, partitions)).toBe(partition);
    }
  });

  test('spreads run ids over all partitions, none with more than twice its share', () => {
    const counts = new Array<number>(8).fill(0);
    for (let run = 0; run < 8000; run += 1) counts[partitionForKey(`run-${run}`, 8)] = (counts[partitionForKey(`run-${run}`, 8)] ?? 0) + 1;
    expect(Math.min(...counts)).toBeGreaterThan(500);
    expect(Math.max(...counts)).toBeLessThan(2000);
  });

  test.each([0, -1, 1.5, Number.NaN])('rejects %p partitions', (partitions) => {
    expect(() => partitionForKey('run-1', partitions)).toThrow(RangeError);
  });

  test('hashKey is FNV-1a 32 (known vectors)', () => {
    expect(hashKey('')).toBe(0x811c9dc5);
    expect(hashKey('a')).toBe(0xe40c292c);
    expect(hashKey('foobar')).toBe(0xbf9cf968);
  });
});

describe('assignPartitions', () => {
  test.each([
    { members: ['a'], partitions: 4 },
    { members: ['a', 'b'], partitions: 4 },
    { members: ['c', 'a', 'b'], partitions: 8 },
    { members: ['a', 'b', 'c', 'd', 'e'], partitions: 3 },
  ])('gives $members disjoint partitions that cover all $partitions', ({ members, partitions }) => {
    const owned = members.flatMap((member) => assignPartitions(member, members, partitions));
    expect(owned.sort((x, y) => x - y)).toEqual(Array.from({ length: partitions }, (_, partition) => partition));
  });

  test('every member computes the same assignment whatever order it lists the members in', () => {
    expect(assignPartitions('b', ['a', 'b', 'c'], 8)).toEqual(assignPartitions('b', ['c', 'b', 'a'], 8));
    expect(assignPartitions('b', ['a', 'b', 'c'], 8)).toEqual([1, 4, 7]);
  });

  test('a consumer that is not a live member owns nothing', () => {
    expect(assignPartitions('z', ['a', 'b'], 4)).toEqual([]);
  });
});
