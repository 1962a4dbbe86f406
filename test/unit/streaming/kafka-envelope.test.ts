import { packByKey, unpackValue } from '../../../lib/engine/streaming/brokers/kafka-envelope';
import type { StreamRecord } from '../../../lib/engine/streaming/brokers';

const text = (value: unknown): string => (value as string);

describe('Kafka envelopes', () => {
  it('packs each key\'s events into one message, in order, and unpacks them', () => {
    const records: StreamRecord[] = [
      { key: 'a', event: { n: 1 } }, { key: 'b', event: { n: 2 } }, { key: 'a', event: { n: 3 } },
      { key: 'a', event: [4, 'vier'] }, { key: 'b', event: 'plain' },
    ];
    const packed = packByKey(records);
    expect(packed.map(({ message }) => message.key)).toEqual(['a', 'b']);
    expect(unpackValue(text(packed[0]?.message.value))).toEqual([{ n: 1 }, { n: 3 }, [4, 'vier']]);
    expect(unpackValue(text(packed[1]?.message.value))).toEqual([{ n: 2 }, 'plain']);
    expect(packed[0]?.bytes).toBe(Buffer.byteLength(text(packed[0]?.message.value)) + 1);
  });

  it('starts a new envelope when one would exceed the limit, keeping the key\'s order across envelopes', () => {
    const records: StreamRecord[] = Array.from({ length: 100 }, (_, n) => ({ key: n % 3 === 0 ? 'big' : `k${n % 2}`, event: { n, pad: 'ü'.repeat(50) } }));
    const packed = packByKey(records, 1_000);
    for (const { message, bytes } of packed) expect(bytes - Buffer.byteLength(String(message.key))).toBeLessThanOrEqual(1_000);
    const byKey = new Map<string, number[]>();
    for (const { message } of packed) {
      for (const event of unpackValue(text(message.value))) byKey.set(String(message.key), [...(byKey.get(String(message.key)) ?? []), (event as { n: number }).n]);
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
});
