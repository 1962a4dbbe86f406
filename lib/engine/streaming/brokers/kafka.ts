/**
 * Kafka backend of {@link EventStream}, on kafkajs.
 *
 * - Partitioning: the record key (run id) goes through kafkajs's default (murmur2, Java-compatible)
 *   partitioner, so a run's events share a partition and keep their order.
 * - Checkpoints: auto-commit is off; after the handler resolves, the next offset of the batch is
 *   committed for the group. A handler that rejects makes the consumer seek back to the batch's first
 *   offset, so the batch is delivered again (after a short backoff, to not spin on a poison batch).
 * - Liveness: kafkajs heart-beats between batches only, so a handler stuck longer than the session
 *   timeout counts as dead and its partitions move to another consumer, which resumes at the last
 *   commit. Long handlers call `batch.heartbeat()`.
 */
import { Kafka, logLevel as KafkaLogLevel, Partitioners } from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, LogEntry, Producer } from 'kafkajs';
import { ensureError } from '../../../errors';
import type { DeliveredEvent, EventStream, StreamRecord, SubscribeOptions, Subscription } from './event-stream';
import { STREAM_DEFAULTS } from './event-stream';
import { StreamClosedError, StreamUnavailableError } from './errors';
import type { StreamLogger } from './logger';

export interface KafkaEventStreamOptions {
  readonly brokers: readonly string[];
  /** Partitions of topics this stream creates (existing topics keep theirs). @default 8 */
  readonly partitions?: number;
  /** Partitions whose batches one consumer handles at the same time. @default 4 */
  readonly partitionsConsumedConcurrently?: number;
  readonly clientId?: string;
  /** Receives kafkajs's warnings and errors; silent when absent. */
  readonly logger?: StreamLogger;
}

/** Longest wait before redelivering a batch whose handler rejected. */
const MAX_RETRY_BACKOFF_MS = 5_000;

export class KafkaEventStream implements EventStream {
  readonly backend = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly address: string;
  private readonly partitions: number;
  private readonly concurrency: number;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly topicsReady = new Map<string, Promise<void>>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private closed = false;

  constructor(options: KafkaEventStreamOptions) {
    this.address = options.brokers.join(',');
    this.partitions = options.partitions ?? STREAM_DEFAULTS.partitions;
    this.concurrency = options.partitionsConsumedConcurrently ?? 4;
    const logger = options.logger;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'whiskflow',
      brokers: [...options.brokers],
      logLevel: logger ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
      logCreator: () => (entry: LogEntry) => forwardLog(logger, entry),
      // Retry long enough to ride out a broker restart (tens of seconds) before failing a call.
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 30 },
    });
  }

  async produce(topic: string, key: string, events: readonly unknown[]): Promise<void> {
    await this.produceBatch(topic, events.map((event) => ({ key, event })));
  }

  async produceBatch(topic: string, records: readonly StreamRecord[]): Promise<void> {
    this.assertOpen('produce');
    if (records.length === 0) return;
    await this.ensureTopic(topic);
    const producer = await this.connectedProducer();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: records.map((record) => ({ key: record.key, value: JSON.stringify(record.event) })),
      });
    } catch (error) {
      throw new StreamUnavailableError('kafka', `produce to '${topic}'`, this.address, error);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen('subscribe');
    await this.ensureTopic(options.topic);
    const sessionTimeout = options.sessionTimeoutMs ?? STREAM_DEFAULTS.sessionTimeoutMs;
    const newConsumer = (): Consumer => this.kafka.consumer({
      groupId: options.group,
      sessionTimeout,
      // A joining member waits at most this long for the others to rejoin; a stuck member is then dropped.
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 5)),
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 30 },
    });
    const subscription = new KafkaSubscription(newConsumer, options, this.address, this.concurrency,
      () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      this.subscriptions.delete(subscription);
      await subscription.close().catch(() => undefined);
      throw new StreamUnavailableError('kafka', `subscribe to '${options.topic}' as group '${options.group}'`, this.address, error);
    }
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    const closing: Promise<unknown>[] = [];
    if (this.producer) closing.push(this.producer.then((producer) => producer.disconnect()));
    if (this.admin) closing.push(this.admin.then((admin) => admin.disconnect()));
    await Promise.allSettled(closing);
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        // Idempotence keeps per-partition order and drops duplicates when a send is retried.
        idempotent: true,
        maxInFlightRequests: 1,
      });
      this.producer = producer.connect().then(() => producer);
      this.producer.catch(() => { this.producer = undefined; });
    }
    return this.producer.catch((error: unknown) => {
      throw new StreamUnavailableError('kafka', 'connect producer', this.address, error);
    });
  }

  /** Creates the topic with this stream's partition count once per process; an existing topic is kept. */
  private ensureTopic(topic: string): Promise<void> {
    let ready = this.topicsReady.get(topic);
    if (!ready) {
      ready = this.createTopic(topic);
      this.topicsReady.set(topic, ready);
      ready.catch(() => this.topicsReady.delete(topic));
    }
    return ready;
  }

  private async createTopic(topic: string): Promise<void> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(() => admin);
      this.admin.catch(() => { this.admin = undefined; });
    }
    try {
      const admin = await this.admin;
      await admin.createTopics({ topics: [{ topic, numPartitions: this.partitions }], waitForLeaders: true });
    } catch (error) {
      throw new StreamUnavailableError('kafka', `create topic '${topic}'`, this.address, error);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StreamClosedError('kafka', operation);
  }
}

/**
 * One group member. kafkajs restarts its consumer after retriable failures only; a broker restart
 * can also end in a non-retriable crash (e.g. "Failed to find group coordinator" while the broker is
 * down), after which kafkajs leaves the consumer stopped. This class then builds a new consumer and
 * joins again, until closed, so a subscription survives any broker outage.
 */
class KafkaSubscription implements Subscription {
  private consumer: Consumer | undefined;
  private assigned: readonly number[] = [];
  private failures = 0;
  private restarts = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly newConsumer: () => Consumer,
    private readonly options: SubscribeOptions,
    private readonly address: string,
    private readonly partitionsConsumedConcurrently: number,
    private readonly onClosed: () => void,
  ) {}

  async start(): Promise<void> {
    const { topic } = this.options;
    const consumer = this.newConsumer();
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.restarts = 0;
      this.assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
      this.options.onAssignment?.(this.assigned);
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.options.onError?.(new StreamUnavailableError('kafka', `consume '${topic}' as '${this.options.consumer}'`,
        this.address, event.payload.error));
      if (!event.payload.restart && consumer === this.consumer) void this.restart();
    });
    await consumer.connect();
    // A new group starts at the beginning: events produced before the first engine started count too.
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  assignedPartitions(): readonly number[] {
    return this.assigned;
  }

  close(): Promise<void> {
    if (!this.closing) {
      const consumer = this.consumer;
      this.consumer = undefined;
      this.closing = (consumer ? consumer.disconnect() : Promise.resolve()).finally(() => {
        this.assigned = [];
        this.onClosed();
      });
    }
    return this.closing;
  }

  /** Replaces a consumer kafkajs gave up on; retries with backoff until it runs or we are closed. */
  private async restart(): Promise<void> {
    this.assigned = [];
    while (!this.closing) {
      this.restarts += 1;
      await sleep(backoffMs(this.restarts));
      if (this.closing) return;
      await this.consumer?.disconnect().catch(() => undefined);
      try {
        await this.start();
        return;
      } catch (error) {
        this.options.onError?.(new StreamUnavailableError('kafka', `rejoin group '${this.options.group}'`, this.address, error));
      }
    }
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const first = batch.messages[0];
    const last = batch.messages[batch.messages.length - 1];
    if (!first || !last || !payload.isRunning() || payload.isStale()) return;
    const events: DeliveredEvent[] = batch.messages.map((message) => ({
      id: `${batch.partition}:${message.offset}`,
      key: message.key?.toString() ?? '',
      event: parseValue(message.value),
    }));
    try {
      await this.options.handler({
        topic: batch.topic,
        partition: batch.partition,
        events,
        heartbeat: () => payload.heartbeat(),
      });
    } catch (error) {
      this.failures += 1;
      this.options.onError?.(ensureError(error));
      // Rewind so the same batch comes again; nothing of it was committed.
      await sleep(backoffMs(this.failures));
      this.consumer?.seek({ topic: batch.topic, partition: batch.partition, offset: first.offset });
      return;
    }
    this.failures = 0;
    payload.resolveOffset(last.offset);
    // Kafka's committed offset is the next one to read, hence + 1.
    const next = (BigInt(last.offset) + 1n).toString();
    await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
    await payload.heartbeat();
  }
}

/** Values are JSON; a value that is not (written by another producer) is passed on as its text. */
function parseValue(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function forwardLog(logger: StreamLogger | undefined, entry: LogEntry): void {
  if (!logger) return;
  const { message, ...details } = entry.log;
  const context = { kafka: entry.namespace, ...details };
  if (entry.level === KafkaLogLevel.ERROR) logger.error(context, message);
  else logger.warn(context, message);
}

function backoffMs(attempt: number): number {
  return Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(Math.max(attempt - 1, 0), 6));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
