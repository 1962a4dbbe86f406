/**
 * One contract, two brokers: every test runs against a real Redis and a real Kafka, started on free
 * ports by test/helpers/services.ts (or taken from REDIS_URL / KAFKA_BROKERS).
 */
import { randomUUID } from 'node:crypto';
import { createEventStream } from '../../../../../lib/runtimes/streaming/brokers';
import type { EventBatch, EventStream, StreamRecord } from '../../../../../lib/runtimes/streaming/brokers';
import { hasErrorCode } from '../../../../../lib/errors';
import { requireKafka, requireRedis } from '../../../../helpers/services';
import type { TestService } from '../../../../helpers/services';
import { distinctEventIds, firstDeliveryOrderByRun, recordingConsumer, taskEvent, DELIVERY_LIMITS } from './recording-consumer';
import { sleep, until } from '../../../../helpers/until';
import type { RecordingConsumer } from './recording-consumer';

const PARTITIONS = 4;
/** Short, so a dead consumer's partitions move within seconds (the broker allows down to 1 s). */
const SESSION_TIMEOUT_MS = 3_000;

jest.setTimeout(180_000);

describe.each([
  ['redis', requireRedis],
  ['kafka', requireKafka],
] as const)('%s event stream', (_backend, requireService) => {
  let service: TestService;
  const streams: EventStream[] = [];
  const subscriptions: RecordingConsumer[] = [];

  beforeAll(async () => {
    service = await requireService();
  }, 180_000);

  afterEach(async () => {
    await Promise.allSettled(subscriptions.splice(0).map((consumer) => consumer.subscription.close()));
    await Promise.allSettled(streams.splice(0).map((stream) => stream.close()));
  });

  afterAll(async () => {
    await service?.stop();
  });

  function openStream(): EventStream {
    const stream = createEventStream(service.url, { partitions: PARTITIONS });
    streams.push(stream);
    return stream;
  }

  function names(test: string): { topic: string; group: string } {
    const suffix = randomUUID().slice(0, 8);
    return { topic: `${test}-${suffix}`, group: `engine-${suffix}` };
  }

  async function consumer(stream: EventStream, topic: string, group: string, name: string,
    react?: (batch: EventBatch) => Promise<void> | void, maxBatchSize?: number): Promise<RecordingConsumer> {
    const recording = await recordingConsumer(stream, { topic, group, consumer: name, sessionTimeoutMs: SESSION_TIMEOUT_MS, react,
      ...(maxBatchSize !== undefined ? { maxBatchSize } : {}) });
    subscriptions.push(recording);
    return recording;
  }

  function runEvents(runs: number, perRun: number): StreamRecord[] {
    // Interleaved across runs, as completions of parallel runs arrive.
    const records: StreamRecord[] = [];
    for (let seq = 0; seq < perRun; seq += 1) {
      for (let run = 0; run < runs; run += 1) records.push({ key: `run-${run}`, event: taskEvent(`run-${run}`, seq) });
    }
    return records;
  }

  test('delivers produced events with their key and body', async () => {
    const stream = openStream();
    const { topic, group } = names('round-trip');
    await stream.produce(topic, 'run-1', [taskEvent('run-1', 0), taskEvent('run-1', 1), taskEvent('run-1', 2)]);

    const recording = await consumer(stream, topic, group, 'engine-a');
    await until('3 events received', () => recording.received.length >= 3, DELIVERY_LIMITS);

    expect(recording.received.map((delivered) => delivered.event)).toEqual([taskEvent('run-1', 0), taskEvent('run-1', 1), taskEvent('run-1', 2)]);
    expect(recording.received.every((delivered) => delivered.key === 'run-1')).toBe(true);
    expect(new Set(recording.received.map((delivered) => delivered.id)).size).toBe(3);
    // Only retried broker hiccups (e.g. Kafka's coordinator still loading) may be reported, never a handler failure.
    expect(recording.errors.filter((error) => !hasErrorCode(error, 'SERVICE_MISSING'))).toEqual([]);
  });

  test('delivers keys and bodies exactly as produced: unicode, newlines in keys and values, strings', async () => {
    const stream = openStream();
    const { topic, group } = names('exact');
    const records: StreamRecord[] = [
      { key: 'run-ä€😀', event: { text: 'line one\nline two', emoji: '😀', quote: '"\\' } },
      { key: 'run-ä€😀', event: 'a plain string' },
      { key: 'run\nwith-newline', event: { n: 1 } },
      { key: 'run-plain', event: [1, 'zwei', { drei: null }] },
    ];
    // Separately: on Redis a batch with a newline in a key is sent another way than one without.
    await stream.produceBatch(topic, records.filter((record) => !record.key.includes('\n')));
    await stream.produceBatch(topic, records.filter((record) => record.key.includes('\n')));

    const recording = await consumer(stream, topic, group, 'engine-a');
    await until('4 events received', () => recording.received.length >= 4, DELIVERY_LIMITS);

    const byKey = (key: string) => recording.received.filter((delivered) => delivered.key === key).map((delivered) => delivered.event);
    expect(byKey('run-ä€😀')).toEqual([records[0]?.event, records[1]?.event]);
    expect(byKey('run\nwith-newline')).toEqual([{ n: 1 }]);
    expect(byKey('run-plain')).toEqual([[1, 'zwei', { drei: null }]]);
  });

  test('keeps each run\'s events in order and in one partition across many runs', async () => {
    const stream = openStream();
    const { topic, group } = names('order');
    const records = runEvents(60, 25);
    // Several produce calls, so order must also hold across batches.
    for (let start = 0; start < records.length; start += 250) await stream.produceBatch(topic, records.slice(start, start + 250));

    const recording = await consumer(stream, topic, group, 'engine-a');
    await until('all events received', () => distinctEventIds(recording.received).size === records.length, DELIVERY_LIMITS);

    const expectedOrder = Array.from({ length: 25 }, (_, seq) => seq);
    for (const [run, sequence] of firstDeliveryOrderByRun(recording.received)) {
      expect({ run, sequence }).toEqual({ run, sequence: expectedOrder });
    }
    const partitionsByRun = new Map<string, Set<number>>();
    for (const delivered of recording.received) {
      partitionsByRun.set(delivered.key, (partitionsByRun.get(delivered.key) ?? new Set()).add(delivered.partition));
    }
    expect([...partitionsByRun.values()].every((partitions) => partitions.size === 1)).toBe(true);
    // 60 runs over 4 partitions: the key hashing must actually spread them.
    expect(new Set(recording.received.map((delivered) => delivered.partition)).size).toBeGreaterThan(1);
  });

  test('produces one call larger than the broker takes in one request (Kafka: 1 MiB per batch) for one run, in order', async () => {
    const stream = openStream();
    const { topic, group } = names('large');
    // About 1.8 MB for one key, so one partition: one Kafka record batch of it would be refused.
    const padding = 'x'.repeat(600);
    const records = Array.from({ length: 3000 }, (_, seq) => ({ key: 'run-big', event: { ...taskEvent('run-big', seq), padding } }));
    await stream.produceBatch(topic, records);

    const recording = await consumer(stream, topic, group, 'engine-a');
    await until('all events received', () => distinctEventIds(recording.received).size === records.length, DELIVERY_LIMITS);
    expect(firstDeliveryOrderByRun(recording.received).get('run-big')).toEqual(Array.from({ length: 3000 }, (_, seq) => seq));
    expect(recording.received[0]?.event).toEqual(records[0]?.event);
  });

  test('consumers of one group share the partitions and each run stays with one consumer', async () => {
    const stream = openStream();
    const { topic, group } = names('share');
    const first = await consumer(stream, topic, group, 'engine-a');
    const second = await consumer(stream, topic, group, 'engine-b');
    const all = Array.from({ length: PARTITIONS }, (_, partition) => partition);
    await until('both consumers own disjoint partitions covering the topic', () => {
      const a = first.subscription.assignedPartitions();
      const b = second.subscription.assignedPartitions();
      return a.length > 0 && b.length > 0 && [...a, ...b].sort((x, y) => x - y).join() === all.join();
    }, DELIVERY_LIMITS);

    const records = runEvents(100, 5);
    await stream.produceBatch(topic, records);
    await until('all events received by the group', () =>
      new Set([...distinctEventIds(first.received), ...distinctEventIds(second.received)]).size === records.length, DELIVERY_LIMITS);

    expect(first.received.length).toBeGreaterThan(0);
    expect(second.received.length).toBeGreaterThan(0);
    const runsOfFirst = new Set(first.received.map((delivered) => delivered.key));
    expect(second.received.filter((delivered) => runsOfFirst.has(delivered.key))).toEqual([]);
  });

  test('events a consumer took but never checkpointed go to another consumer when it dies', async () => {
    const stream = openStream();
    const { topic, group } = names('failover');
    await stream.produce(topic, 'run-1', Array.from({ length: 20 }, (_, seq) => taskEvent('run-1', seq)));

    // The first consumer hangs in its handler: it neither checkpoints nor heart-beats, like a dead process.
    let releaseHung: (error: Error) => void = () => undefined;
    const hung = new Promise<void>((_resolve, reject) => { releaseHung = reject; });
    const dying = await consumer(stream, topic, group, 'engine-a', () => hung);
    await until('the first consumer holds a batch', () => dying.received.length > 0, DELIVERY_LIMITS);
    const heldIds = dying.received.map((delivered) => delivered.event.id);

    try {
      const survivor = await consumer(stream, topic, group, 'engine-b');
      await until('the survivor got all 20 events', () => distinctEventIds(survivor.received).size === 20, DELIVERY_LIMITS);

      expect(heldIds.every((id) => distinctEventIds(survivor.received).has(id))).toBe(true);
      expect(firstDeliveryOrderByRun(survivor.received).get('run-1')).toEqual(Array.from({ length: 20 }, (_, seq) => seq));
    } finally {
      // Lets the hung handler end, so closing the first consumer can finish.
      releaseHung(new Error('the dying consumer gives up'));
    }
  });

  // Failover and redelivery with several batches per partition. Each event is produced on its own,
  // since one produce call's events of a key travel as one envelope (one entry, one batch); Kafka
  // ignores maxBatchSize, so there the batches are bigger.
  test('a consumer that dies in a batch, with more batches behind it, loses nothing: the survivor gets them all, in order', async () => {
    const stream = openStream();
    const { topic, group } = names('failover-prefetched');
    for (let seq = 0; seq < 20; seq += 1) await stream.produce(topic, 'run-1', [taskEvent('run-1', seq)]);

    let releaseHung: (error: Error) => void = () => undefined;
    const hung = new Promise<void>((_resolve, reject) => { releaseHung = reject; });
    const dying = await consumer(stream, topic, group, 'engine-a', () => hung, 5);
    try {
      await until('the first consumer holds a batch', () => dying.received.length > 0, DELIVERY_LIMITS);
      await sleep(200);
      expect(dying.received.map((delivered) => delivered.event.data.seq)).toEqual(_backend === 'redis' ? [0, 1, 2, 3, 4] : dying.received.map((_d, seq) => seq));
      const survivor = await consumer(stream, topic, group, 'engine-b', undefined, 5);
      await until('the survivor got all 20 events', () => distinctEventIds(survivor.received).size === 20, DELIVERY_LIMITS);
      expect(survivor.received.map((delivered) => delivered.event.data.seq)).toEqual(Array.from({ length: 20 }, (_, seq) => seq));
    } finally {
      releaseHung(new Error('the dying consumer gives up'));
    }
  });

  test('a batch that fails comes again before the batches behind it, and nothing is skipped or doubled after', async () => {
    const stream = openStream();
    const { topic, group } = names('redeliver-prefetched');
    for (let seq = 0; seq < 10; seq += 1) await stream.produce(topic, 'run-1', [taskEvent('run-1', seq)]);

    let failedBatch: number[] | undefined;
    const recording = await consumer(stream, topic, group, 'engine-a', async (batch) => {
      if (failedBatch) return;
      failedBatch = batch.events.map((delivered) => (delivered.event as { data: { seq: number } }).data.seq);
      await sleep(200);
      throw new Error('state store unavailable');
    }, 2);
    await until('every event delivered after the failure', () => recording.received.length >= (failedBatch?.length ?? 0) + 10, DELIVERY_LIMITS);
    await sleep(300);

    const seqs = recording.received.map((delivered) => delivered.event.data.seq);
    expect(seqs).toEqual([...(failedBatch ?? []), ...Array.from({ length: 10 }, (_, seq) => seq)]);
  });

  test('a new consumer of the group resumes after the last checkpoint', async () => {
    const stream = openStream();
    const { topic, group } = names('resume');
    await stream.produce(topic, 'run-1', Array.from({ length: 10 }, (_, seq) => taskEvent('run-1', seq)));
    const before = await consumer(stream, topic, group, 'engine-a');
    await until('the first 10 events received', () => before.received.length >= 10, DELIVERY_LIMITS);
    await before.subscription.close();

    await stream.produce(topic, 'run-1', Array.from({ length: 10 }, (_, seq) => taskEvent('run-1', seq + 10)));
    const after = await consumer(stream, topic, group, 'engine-b');
    await until('the next 10 events received', () => distinctEventIds(after.received).size >= 10, DELIVERY_LIMITS);

    expect(after.received.map((delivered) => delivered.event.data.seq)).toEqual(Array.from({ length: 10 }, (_, seq) => seq + 10));
  });

  test('a handler that fails gets the same events again: delivery is at-least-once', async () => {
    const stream = openStream();
    const { topic, group } = names('redeliver');
    await stream.produce(topic, 'run-1', [taskEvent('run-1', 0), taskEvent('run-1', 1)]);

    let failures = 0;
    const recording = await consumer(stream, topic, group, 'engine-a', () => {
      if (failures === 0) {
        failures += 1;
        throw new Error('state store unavailable');
      }
    });
    await until('the events delivered twice', () => recording.received.length >= 4, DELIVERY_LIMITS);

    const ids = recording.received.map((delivered) => delivered.id);
    expect(ids.slice(0, 2)).toEqual(ids.slice(2, 4));
    expect(recording.received.slice(0, 4).map((delivered) => delivered.event.id)).toEqual(['run-1/0', 'run-1/1', 'run-1/0', 'run-1/1']);
    expect(recording.errors.map((error) => error.message)).toContain('state store unavailable');
    // What the engine must do with a duplicate: dedupe by event id, leaving each event once.
    expect(distinctEventIds(recording.received)).toEqual(new Set(['run-1/0', 'run-1/1']));
  });

  test.each([
    ['shuts down cleanly', false],
    ['crashes (SIGKILL)', true],
  ])('loses no event when the broker %s and restarts mid-stream', async (_how, crash) => {
    const stream = openStream();
    const { topic, group } = names('restart');
    const recording = await consumer(stream, topic, group, 'engine-a');
    const beforeRestart = runEvents(10, 10);
    await stream.produceBatch(topic, beforeRestart);
    await until('events before the restart received', () => distinctEventIds(recording.received).size === beforeRestart.length, DELIVERY_LIMITS);

    await service.restart({ crash });

    const afterRestart = runEvents(10, 20).slice(beforeRestart.length);
    await stream.produceBatch(topic, afterRestart);
    await until('events after the restart received', () =>
      distinctEventIds(recording.received).size === beforeRestart.length + afterRestart.length, DELIVERY_LIMITS);

    const expectedOrder = Array.from({ length: 20 }, (_, seq) => seq);
    for (const [run, sequence] of firstDeliveryOrderByRun(recording.received)) {
      expect({ run, sequence }).toEqual({ run, sequence: expectedOrder });
    }
  });
});
