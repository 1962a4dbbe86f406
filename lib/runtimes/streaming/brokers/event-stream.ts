/**
 * The event stream the Condition Engine reads task-completion events from, whatever the broker.
 *
 * Guarantees every backend gives:
 * - Events produced with the same key (the run id) land in one partition and are delivered in the
 *   order they were produced, to one consumer of a group at a time.
 * - At-least-once delivery: an event counts as consumed only once the handler's promise resolves
 *   (Kafka: the offset is committed; Redis: the entry is XACKed). A handler that rejects, a consumer
 *   that dies, or a broker restart can deliver the same event again, so the engine dedupes by
 *   {@link DeliveredEvent.id} (or the CloudEvent id inside the event).
 * - Consumers of one group share the partitions; when one stops heart-beating for
 *   {@link SubscribeOptions.sessionTimeoutMs} the others take over its partitions, starting from its
 *   last checkpoint.
 */
export interface EventStream {
  /** Which broker this stream talks to (for logs and errors). */
  readonly backend: StreamBackend;
  /**
   * Appends `events` (JSON-serialisable, usually CloudEvents) to `topic` under one key, in order.
   * Resolves once the broker has stored them (Kafka acks=all, Redis after the pipeline's replies).
   */
  produce(topic: string, key: string, events: readonly unknown[]): Promise<void>;
  /** Like {@link produce} for many keys in one round trip: the fast path for bulk producers. */
  produceBatch(topic: string, records: readonly StreamRecord[]): Promise<void>;
  /** Joins `group` as `consumer` and starts calling `handler`; resolves once consuming has started. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stops every subscription made through this stream and closes its connections. */
  close(): Promise<void>;
}

export type StreamBackend = 'kafka' | 'redis';

/** One event to produce, with the key (run id) that chooses its partition. */
export interface StreamRecord {
  readonly key: string;
  readonly event: unknown;
}

/** One event as delivered to a handler. */
export interface DeliveredEvent {
  /** Identity of this stream position, stable across redeliveries (Kafka `partition:offset`, Redis entry id). */
  readonly id: string;
  readonly key: string;
  /** The produced event, parsed back from JSON; validating it is the engine's job. */
  readonly event: unknown;
}

/** Events from one partition, in stream order. */
export interface EventBatch {
  readonly topic: string;
  readonly partition: number;
  readonly events: readonly DeliveredEvent[];
  /**
   * Tells the group this consumer is alive. A handler that may run longer than a third of the session
   * timeout calls it between steps, or the group gives its partitions to another consumer.
   */
  heartbeat(): Promise<void>;
}

export type BatchHandler = (batch: EventBatch) => Promise<void>;

export interface SubscribeOptions {
  readonly topic: string;
  /** Consumer group: consumers in one group share the topic's partitions. */
  readonly group: string;
  /** This consumer's name, unique within the group (e.g. host and pid). */
  readonly consumer: string;
  /**
   * Called with each batch; the batch is checkpointed only after the promise resolves. Never called
   * twice at once for one partition, but may be for different partitions (Kafka handles up to
   * `partitionsConsumedConcurrently` partitions at a time; Redis the partitions of one read).
   */
  readonly handler: BatchHandler;
  /**
   * Called with this consumer's partitions after it joins or the group rebalances, so the engine can
   * load or drop the state of the runs those partitions carry. A consumer that silently lost its
   * partitions (it stalled past the session timeout) learns it at its next rejoin; until then its
   * checkpoints fail and its batches are delivered to the new owner too, hence the dedupe.
   */
  readonly onAssignment?: (partitions: readonly number[]) => void;
  /** Called when a handler rejects or the broker fails; the batch will be delivered again. */
  readonly onError?: (error: Error) => void;
  /**
   * How long a consumer may stay silent before the group hands its partitions to others.
   * @default 10000
   */
  readonly sessionTimeoutMs?: number;
  /**
   * Most events per batch (Redis COUNT per partition; Kafka caps by bytes, see kafka.ts).
   * @default 1000
   */
  readonly maxBatchSize?: number;
}

export interface Subscription {
  /** Partitions this consumer currently owns. */
  assignedPartitions(): readonly number[];
  /** Stops consuming after the batch in progress (whose checkpoint is then still written) and leaves the group. */
  close(): Promise<void>;
}

/** Defaults shared by both backends, so a test or engine sees the same timing on either. */
export const STREAM_DEFAULTS = {
  partitions: 8,
  sessionTimeoutMs: 10_000,
  maxBatchSize: 1000,
} as const;
