/**
 * The Redis backend's MAXLEN policy (see lib/runtimes/streaming/brokers/redis.ts): each partition stream
 * is trimmed to about `maxLenPerPartition` entries, so a group that lags further loses the oldest
 * events but still gets the rest in order. An entry is an envelope of one key's events from one
 * produce call (envelope.ts), so the events here have a key each to make entries and events one.
 */
import Redis from 'ioredis';
import { RedisEventStream } from '../../../../../lib/runtimes/streaming/brokers/redis';
import { requireRedis } from '../../../../helpers/services';
import type { TestService } from '../../../../helpers/services';
import { recordingConsumer, taskEvent, DELIVERY_LIMITS } from './recording-consumer';
import { until } from '../../../../helpers/until';

describe('redis event stream trimming', () => {
  let service: TestService;
  let stream: RedisEventStream | undefined;
  let inspect: Redis | undefined;

  beforeAll(async () => {
    service = await requireRedis();
  }, 120_000);

  afterAll(async () => {
    await stream?.close();
    inspect?.disconnect();
    await service?.stop();
  });

  test('keeps about maxLenPerPartition entries and delivers the newest in order', async () => {
    stream = new RedisEventStream({ url: service.url, partitions: 1, maxLenPerPartition: 200 });
    inspect = new Redis(service.url);
    const topic = `trim-${Date.now()}`;
    for (let start = 0; start < 2000; start += 100) {
      await stream.produceBatch(topic, Array.from({ length: 100 }, (_, offset) => {
        const seq = start + offset;
        return { key: `run-${seq}`, event: taskEvent(`run-${seq}`, seq) };
      }));
    }

    const length = await inspect.xlen(stream.streamKey(topic, 0));
    // `MAXLEN ~` trims whole radix-tree nodes (100 entries each by default), so it keeps a bit more.
    expect(length).toBeGreaterThanOrEqual(200);
    expect(length).toBeLessThan(2000);

    const recording = await recordingConsumer(stream, { topic, group: 'late', consumer: 'engine-a', sessionTimeoutMs: 3_000 });
    await until('the retained entries delivered', () => recording.received.length >= length, DELIVERY_LIMITS);
    const seqs = recording.received.map((delivered) => delivered.event.data.seq);
    expect(seqs).toEqual(Array.from({ length }, (_, index) => 2000 - length + index));
    await recording.subscription.close();
  });
});
