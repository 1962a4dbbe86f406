import { chunksOf, eventIdInMessage, packByKey, unpackValue } from '../../../../../lib/runtimes/streaming/brokers/envelope';
import type { StreamRecord } from '../../../../../lib/runtimes/streaming/brokers';

describe('Stream envelopes', () => {
  it('packs each key\'s events into one message, in order, and unpacks them', () => {
    const records: StreamRecord[] = [
      { key: 'a', event: { n: 1 } }, { key: 'b', event: { n: 2 } }, { key: 'a', event: { n: 3 } },
      { key: 'a', event: [4, 'vier'] }, { key: 'b', event: 'plain' },
    ];
    const packed = packByKey(records);
    expect(packed.map(({ key }) => key)).toEqual(['a', 'b']);
    expect(unpackValue(packed[0]?.value ?? '')).toEqual([{ n: 1 }, { n: 3 }, [4, 'vier']]);
    expect(unpackValue(packed[1]?.value ?? '')).toEqual([{ n: 2 }, 'plain']);
    expect(packed[0]?.bytes).toBe(Buffer.byteLength(packed[0]?.value ?? '') + 1);
  });

  it('starts a new envelope when one would exceed the limit, keeping the key\'s order across envelopes', () => {
    const records: StreamRecord[] = Array.from({ length: 100 }, (_, n) => ({ key: n % 3 === 0 ? 'big' : `k${n % 2}`, event: { n, pad: 'ü'.repeat(50) } }));
    const packed = packByKey(records, 1_000);
    for (const { key, bytes } of packed) expect(bytes - Buffer.byteLength(key)).toBeLessThanOrEqual(1_000);
    const byKey = new Map<string, number[]>();
    for (const { key, value } of packed) {
      for (const event of unpackValue(value)) byKey.set(key, [...(byKey.get(key) ?? []), (event as { n: number }).n]);
    }
    for (const [key, order] of byKey) {
      expect(order).toEqual(records.filter((record) => record.key === key).map((record) => (record.event as { n: number }).n));
    }
    expect([...byKey.values()].flat()).toHaveLength(100);
  });

  it('reads another producer\'s single event, and text that is not JSON, as one event', () => {
    expect(unpackValue('{"type":"x"}')).toEqual([{ type: 'x' }]);
    expect(unpackValue('not json')).toEqual(['not json']);
  });

  it('names a lone event by its message, and an envelope\'s events by their place in it', () => {
    expect(eventIdInMessage('3:17', 0, 1)).toBe('3:17');
    expect(eventIdInMessage('1700000000000-0', 2, 5)).toBe('1700000000000-0/2');
  });

  it('chunks messages in order by bytes and by count, a message larger than the limit alone', () => {
    const message = (bytes: number, key = 'k'): { key: string; value: string; bytes: number } => ({ key, value: '[]', bytes });
    const sizes = (chunks: { bytes: number }[][]): number[][] => chunks.map((chunk) => chunk.map((m) => m.bytes));
    expect(sizes(chunksOf([message(4), message(4), message(3), message(20), message(1)], 10))).toEqual([[4, 4], [3], [20], [1]]);
    expect(sizes(chunksOf([message(1), message(2), message(3), message(4), message(5)], 100, 2))).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunksOf([], 10)).toEqual([]);
  });
});
