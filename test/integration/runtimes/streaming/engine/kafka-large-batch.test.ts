/**
 * A run's outputs share one key, so a 10,000-task fan-out produces one batch of 10,000 invoke events
 * to one partition: more than the broker's `message.max.bytes` (1 MiB) in one record batch, which Kafka
 * refuses. The stream must split such a batch (in order) rather than fail it, and redeliver it, for ever.
 */
import { createEventStream, type EventBatch, type EventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { requireKafka, type KafkaTestService } from '../../../../helpers/services';
import { until } from '../../../../helpers/until';

jest.setTimeout(120_000);

describe('Kafka: a batch larger than the broker takes in one request', () => {
  let kafka: KafkaTestService | undefined;
  let stream: EventStream | undefined;
  beforeAll(async () => {
    kafka = await requireKafka();
  }, 120_000);
  afterAll(async () => {
    await stream?.close();
    await kafka?.stop();
  });

  it('produces 10,000 records of one key (~4 MB) and delivers them all, in order', async () => {
    stream = createEventStream((kafka as KafkaTestService).url, { partitions: 2 });
    const padding = 'x'.repeat(400);
    const records = Array.from({ length: 10_000 }, (_, seq) => ({ key: 'one-run', event: { id: `e${seq}`, seq, padding } }));
    await stream.produceBatch('large-batch', records);

    const seen: number[] = [];
    const subscription = await stream.subscribe({
      topic: 'large-batch', group: 'large-batch-reader', consumer: 'reader',
      handler: async (batch: EventBatch) => {
        for (const delivered of batch.events) seen.push((delivered.event as { seq: number }).seq);
      },
    });
    await until('every record is seen', () => seen.length >= records.length, { timeoutMs: Infinity });
    await subscription.close();
    expect(seen).toEqual(records.map((record) => record.event.seq));
  });
});
