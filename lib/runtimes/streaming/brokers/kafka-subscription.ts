/**
 * One member of a Kafka consumer group (see kafka.ts for checkpoints and liveness): runs a kafkajs
 * consumer with manual commits, and replaces it when kafkajs gives up on it.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { ensureError } from '../../../errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from './backoff';
import type { DeliveredEvent, SubscribeOptions, Subscription } from './event-stream';
import { StreamUnavailableError } from './errors';
import { eventIdInMessage, unpackValue } from './envelope';

/**
 * One group member. kafkajs restarts its consumer after retriable failures only; a broker restart
 * can also end in a non-retriable crash (e.g. "Failed to find group coordinator" while the broker is
 * down), after which kafkajs leaves the consumer stopped. This class then builds a new consumer and
 * joins again, until closed, so a subscription survives any broker outage.
 */
export class KafkaSubscription implements Subscription {
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
    const events: DeliveredEvent[] = [];
    for (const message of batch.messages) {
      const key = message.key?.toString() ?? '';
      const id = `${batch.partition}:${message.offset}`;
      if (message.value === null) {
        events.push({ id, key, event: null });
        continue;
      }
      // An envelope's events (envelope.ts) are told apart by their place in it.
      const unpacked = unpackValue(message.value.toString('utf8'));
      unpacked.forEach((event, index) => events.push({ id: eventIdInMessage(id, index, unpacked.length), key, event }));
    }
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
