/**
 * Kafka backend of {@link EventStream}, on kafkajs.
 *
 * - Partitioning: the record key (run id) goes through kafkajs's default (murmur2, Java-compatible)
 *   partitioner, so a run's events share a partition and keep their order.
 * - Checkpoints: auto-commit is off; after the handler resolves, the next offset of the batch is
 *   committed for the group. A handler that rejects makes the consumer seek back to the batch's first
 *   offset, so the batch is delivered again (after a short backoff, to not spin on a poison batch).
 * - Liveness: kafkajs heart-beats from its fetch loop, between batches. A consumer whose process died,
 *   or whose handler is stuck when the group rebalances, loses its partitions to another consumer,
 *   which resumes at the last commit. Long handlers call `batch.heartbeat()`.
 */
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import type { Admin, Consumer, LogEntry, Message, Producer } from 'kafkajs';
import type { EventStream, StreamRecord, SubscribeOptions, Subscription } from './event-stream';
import { STREAM_DEFAULTS } from './event-stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from './backoff';
import { StreamClosedError, StreamUnavailableError } from './errors';
import { chunksOf, packByKey } from './envelope';
import { FastDefaultPartitioner } from './kafka-partitioner';
import { KafkaSubscription } from './kafka-subscription';
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
    // Each key's events travel in envelopes (envelope.ts). kafkajs sends one record batch per
    // partition and send; the broker refuses a batch larger than its message.max.bytes (1 MiB by
    // default), which a thousand events for one partition exceed, and would refuse it again on every
    // redelivery. So send in chunks well under that, in order.
    for (const chunk of chunksOf(packByKey(records), MAX_SEND_BYTES)) {
      const messages: Message[] = chunk.map(({ key, value }) => ({ key, value }));
      try {
        await producer.send({ topic, acks: -1, messages });
      } catch (error) {
        throw new StreamUnavailableError('kafka', `produce to '${topic}'`, this.address, error);
      }
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
        createPartitioner: FastDefaultPartitioner,
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
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.createTopics({ topics: [{ topic, numPartitions: this.partitions }], waitForLeaders: true });
          // Created now or before; either way the metadata must know it before anyone produces.
          await admin.fetchTopicMetadata({ topics: [topic] });
          return;
        } catch (error) {
          // A KRaft broker can answer the metadata request of kafkajs's waitForLeaders before the new
          // topic reached its metadata cache ("does not host this topic-partition"); kafkajs gives up
          // on that at once. The topic exists by then, so asking again soon succeeds.
          if (attempt >= TOPIC_ATTEMPTS || (error as { type?: unknown }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
          await sleep(backoffMs(attempt));
        }
      }
    } catch (error) {
      throw new StreamUnavailableError('kafka', `create topic '${topic}'`, this.address, error);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StreamClosedError('kafka', operation);
  }
}

/** Tries at creating a topic while the broker does not know it yet (about a minute, backoff capped at 5 s). */
const TOPIC_ATTEMPTS = 20;

/** Bytes of keys and values per send: half the broker's default message.max.bytes, for headers and framing. */
const MAX_SEND_BYTES = 512 * 1024;

function forwardLog(logger: StreamLogger | undefined, entry: LogEntry): void {
  if (!logger) return;
  const { message, ...details } = entry.log;
  const context = { kafka: entry.namespace, ...details };
  if (entry.level === KafkaLogLevel.ERROR) logger.error(context, message);
  else logger.warn(context, message);
}
