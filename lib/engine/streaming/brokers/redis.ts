/**
 * Redis Streams backend of {@link EventStream}, on ioredis.
 *
 * Layout, for topic T and group G (all under `prefix`, default `whiskflow:stream`):
 * - `T:<p>` one stream per partition p; a key (run id) hashes to one partition (partitioning.ts), so
 *   a run's events keep their order. `T:partitions` fixes the partition count at first use, so every
 *   producer and consumer agrees even if configured differently.
 * - `T:G:members` sorted set of live consumers (score = when their session ends, server clock).
 * - `T:G:lease:<p>` which consumer owns partition p, expiring after the session timeout.
 *
 * Why leases: a Redis consumer group hands entries of one stream to whichever consumer asks, which
 * would split a run's events between consumers and break their order. Here every consumer computes
 * the same round-robin assignment from the member set and reads only the partitions whose lease it
 * holds. When a consumer stops heart-beating, its member entry and leases expire; the consumer the
 * partition is assigned to next takes the lease, XAUTOCLAIMs the entries the dead one read but never
 * acked, and handles them before any newer entry. Claiming needs no idle threshold because the
 * expired lease already proves the old owner silent for a whole session timeout.
 *
 * Checkpoints: entries are XACKed only after the handler resolves, and only while this consumer
 * still holds the partition's lease (see ACK_IF_LEASED). A handler that rejects leaves the entries
 * pending; they are read again from this consumer's pending list before newer ones.
 *
 * Trimming (MAXLEN policy): each XADD trims its partition stream to about `maxLenPerPartition`
 * entries (`MAXLEN ~`, cheap whole-node trimming). This bounds memory, but a group lagging by more
 * than that loses the oldest entries; trimmed entries still pending are acked and skipped. Size it
 * to the longest outage to ride out (at 20,000 events/s over 8 partitions the default of 1,000,000
 * is about 400 s), or pass 0 to never trim and trim by other means.
 */
import Redis from 'ioredis';
import { ensureError } from '../../../errors';
import type { DeliveredEvent, EventStream, StreamRecord, SubscribeOptions, Subscription } from './event-stream';
import { STREAM_DEFAULTS } from './event-stream';
import { StreamClosedError, StreamUnavailableError, redactUrl } from './errors';
import { assignPartitions, partitionForKey } from './partitioning';
import { ACK_IF_LEASED, ACQUIRE_LEASE, HEARTBEAT, RELEASE_LEASE } from './redis-scripts';
import { ENTRY_FIELDS, entryKeyAndValue, parseAutoClaimReply, parseReadGroupReply } from './redis-replies';
import type { StreamEntry } from './redis-replies';

export interface RedisEventStreamOptions {
  /** `redis://[user:password@]host:port[/db]` */
  readonly url: string;
  /** Partitions of topics first used by this stream (an existing topic keeps its count). @default 8 */
  readonly partitions?: number;
  /** Approximate entries kept per partition stream; 0 never trims. @default 1000000 */
  readonly maxLenPerPartition?: number;
  /** Prefix of every key this backend writes. @default 'whiskflow:stream' */
  readonly prefix?: string;
}

const DEFAULT_MAX_LEN_PER_PARTITION = 1_000_000;
/** Lua's unpack() has a stack limit of a few thousand values, so XACK in chunks. */
const ACK_CHUNK = 1000;
const MAX_RETRY_BACKOFF_MS = 5_000;

export class RedisEventStream implements EventStream {
  readonly backend = 'redis' as const;
  readonly address: string;
  readonly prefix: string;
  private readonly commands: Redis;
  private readonly defaultPartitions: number;
  private readonly maxLen: number;
  private readonly partitionCounts = new Map<string, Promise<number>>();
  private readonly subscriptions = new Set<RedisSubscription>();
  private closed = false;

  constructor(private readonly options: RedisEventStreamOptions) {
    this.address = redactUrl(options.url);
    this.prefix = options.prefix ?? 'whiskflow:stream';
    this.defaultPartitions = options.partitions ?? STREAM_DEFAULTS.partitions;
    this.maxLen = options.maxLenPerPartition ?? DEFAULT_MAX_LEN_PER_PARTITION;
    this.commands = this.connect();
  }

  /** A new connection; each subscription gets its own, since a blocking XREADGROUP holds one. */
  connect(): Redis {
    const connection = new Redis(this.options.url, {
      // RESP2 replies have one fixed shape (RESP3 turns XREADGROUP into a map).
      protocol: 2,
      // Commands wait through a broker restart (about 20 reconnects, ~15 s) before failing.
      maxRetriesPerRequest: 20,
      retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
    });
    // Connection errors surface through the commands that fail; without a listener ioredis prints them.
    connection.on('error', () => undefined);
    return connection;
  }

  streamKey(topic: string, partition: number): string {
    return `${this.prefix}:${topic}:${partition}`;
  }

  async produce(topic: string, key: string, events: readonly unknown[]): Promise<void> {
    await this.produceBatch(topic, events.map((event) => ({ key, event })));
  }

  async produceBatch(topic: string, records: readonly StreamRecord[]): Promise<void> {
    this.assertOpen('produce');
    if (records.length === 0) return;
    const partitions = await this.partitionCount(topic);
    // One pipeline: one round trip for the whole batch, and entries keep their order per stream.
    const pipeline = this.commands.pipeline();
    const trim = this.maxLen > 0 ? ['MAXLEN', '~', this.maxLen] : [];
    for (const record of records) {
      pipeline.xadd(this.streamKey(topic, partitionForKey(record.key, partitions)), ...trim, '*',
        ENTRY_FIELDS.key, record.key, ENTRY_FIELDS.value, JSON.stringify(record.event));
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (error) {
      throw new StreamUnavailableError('redis', `produce to '${topic}'`, this.address, error);
    }
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) {
      throw new StreamUnavailableError('redis', `produce to '${topic}'`, this.address, failed?.[0] ?? 'no reply');
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen('subscribe');
    const partitions = await this.partitionCount(options.topic);
    try {
      await Promise.all(Array.from({ length: partitions }, (_, partition) =>
        this.commands.xgroup('CREATE', this.streamKey(options.topic, partition), options.group, '0', 'MKSTREAM')
          .catch((error: unknown) => {
            // BUSYGROUP: another consumer created it first, which is the normal case.
            if (!ensureError(error).message.startsWith('BUSYGROUP')) throw error;
          })));
    } catch (error) {
      throw new StreamUnavailableError('redis', `create group '${options.group}' on '${options.topic}'`, this.address, error);
    }
    const subscription = new RedisSubscription(this, this.commands, options, partitions,
      () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    await subscription.start();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    this.commands.disconnect();
  }

  private partitionCount(topic: string): Promise<number> {
    let count = this.partitionCounts.get(topic);
    if (!count) {
      count = this.readOrFixPartitionCount(topic);
      this.partitionCounts.set(topic, count);
      count.catch(() => this.partitionCounts.delete(topic));
    }
    return count;
  }

  private async readOrFixPartitionCount(topic: string): Promise<number> {
    const key = `${this.prefix}:${topic}:partitions`;
    try {
      await this.commands.set(key, String(this.defaultPartitions), 'NX');
      const stored = Number(await this.commands.get(key));
      if (!Number.isInteger(stored) || stored < 1) throw new Error(`key ${key} holds no partition count`);
      return stored;
    } catch (error) {
      throw new StreamUnavailableError('redis', `read partition count of '${topic}'`, this.address, error);
    }
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StreamClosedError('redis', operation);
  }
}

/** One consumer of a group: owns some partitions, reads them with XREADGROUP, acks after the handler. */
class RedisSubscription implements Subscription {
  private readonly reader: Redis;
  private readonly sessionTimeoutMs: number;
  private readonly maxBatchSize: number;
  private readonly owned = new Set<number>();
  /** Partitions whose pending entries (claimed or failed) must be handled before new ones. */
  private readonly replayPending = new Set<number>();
  private nextHeartbeatAt = 0;
  private failures = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stream: RedisEventStream,
    private readonly commands: Redis,
    private readonly options: SubscribeOptions,
    private readonly partitions: number,
    private readonly onClosed: () => void,
  ) {
    this.reader = stream.connect();
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? STREAM_DEFAULTS.sessionTimeoutMs;
    this.maxBatchSize = options.maxBatchSize ?? STREAM_DEFAULTS.maxBatchSize;
  }

  async start(): Promise<void> {
    try {
      await this.rebalance();
    } catch (error) {
      this.reader.disconnect();
      throw new StreamUnavailableError('redis', `join group '${this.options.group}'`, this.stream.address, error);
    }
    this.loop = this.consume();
  }

  assignedPartitions(): readonly number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  close(): Promise<void> {
    if (!this.closing) this.closing = this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    // Leave the group at once, so the others need not wait for our session to time out.
    await Promise.allSettled([
      ...[...this.owned].map((partition) => this.commands.eval(RELEASE_LEASE, 1, this.leaseKey(partition), this.options.consumer)),
      this.commands.zrem(this.membersKey(), this.options.consumer),
    ]);
    this.owned.clear();
    this.reader.disconnect();
    this.onClosed();
  }

  private async consume(): Promise<void> {
    const blockMs = Math.max(50, Math.min(1_000, Math.floor(this.sessionTimeoutMs / 4)));
    while (!this.stopping) {
      try {
        if (Date.now() >= this.nextHeartbeatAt) await this.rebalance();
        if (this.owned.size === 0) {
          await sleep(blockMs);
          continue;
        }
        const replaying = [...this.replayPending].filter((partition) => this.owned.has(partition));
        // Pending entries first ('0' = from the start of this consumer's pending list), then new ones ('>').
        const ids = replaying.length > 0 ? replaying.map(() => '0') : [...this.owned].map(() => '>');
        const partitions = replaying.length > 0 ? replaying : [...this.owned];
        const reply = await this.reader.call('XREADGROUP', 'GROUP', this.options.group, this.options.consumer,
          'COUNT', this.maxBatchSize, ...(replaying.length > 0 ? [] : ['BLOCK', blockMs]),
          'STREAMS', ...partitions.map((partition) => this.stream.streamKey(this.options.topic, partition)), ...ids);
        const entriesByStream = parseReadGroupReply(reply);
        for (const partition of partitions) {
          if (this.stopping) break;
          const entries = entriesByStream.get(this.stream.streamKey(this.options.topic, partition)) ?? [];
          if (entries.length === 0) {
            this.replayPending.delete(partition);
            continue;
          }
          await this.handle(partition, entries);
        }
      } catch (error) {
        if (this.stopping) break;
        this.failures += 1;
        this.options.onError?.(new StreamUnavailableError('redis', `consume '${this.options.topic}' as '${this.options.consumer}'`,
          this.stream.address, error));
        await sleep(backoffMs(this.failures));
      }
    }
  }

  private async handle(partition: number, entries: readonly StreamEntry[]): Promise<void> {
    const events: DeliveredEvent[] = [];
    for (const entry of entries) {
      const record = entryKeyAndValue(entry);
      if (record) events.push({ id: entry.id, key: record.key, event: parseValue(record.value) });
    }
    if (events.length > 0) {
      try {
        await this.options.handler({
          topic: this.options.topic,
          partition,
          events,
          heartbeat: () => this.renewLeases(),
        });
      } catch (error) {
        // Leave the entries pending and read them again before anything newer.
        this.replayPending.add(partition);
        this.failures += 1;
        this.options.onError?.(ensureError(error));
        await sleep(backoffMs(this.failures));
        return;
      }
    }
    this.failures = 0;
    // Trimmed entries (no fields) are acked too: they can never be handled.
    const acked = await this.ack(partition, entries.map((entry) => entry.id));
    if (!acked) this.dropPartition(partition);
  }

  /** XACKs while the lease is ours; false when another consumer owns the partition now. */
  private async ack(partition: number, ids: readonly string[]): Promise<boolean> {
    for (let start = 0; start < ids.length; start += ACK_CHUNK) {
      const result = await this.commands.eval(ACK_IF_LEASED, 2, this.leaseKey(partition),
        this.stream.streamKey(this.options.topic, partition), this.options.consumer, this.options.group,
        ...ids.slice(start, start + ACK_CHUNK));
      if (result === -1) return false;
    }
    return true;
  }

  /**
   * Heartbeat from inside a handler: keeps this consumer's membership and leases alive but moves no
   * partition, since the batch in progress belongs to one of them.
   */
  private async renewLeases(): Promise<void> {
    this.nextHeartbeatAt = Date.now() + Math.floor(this.sessionTimeoutMs / 4);
    await this.commands.eval(HEARTBEAT, 1, this.membersKey(), this.options.consumer, this.sessionTimeoutMs);
    for (const partition of [...this.owned]) {
      // Retaking a lease that expired but that nobody took is safe: nobody else claimed its entries.
      // A lease another consumer holds now stays theirs; the ack after this batch then fails and the
      // loop drops the partition.
      await this.commands.eval(ACQUIRE_LEASE, 1, this.leaseKey(partition), this.options.consumer, this.sessionTimeoutMs);
    }
  }

  /** Heartbeat, then take, keep or give up partitions to match the group's current assignment. */
  private async rebalance(): Promise<void> {
    this.nextHeartbeatAt = Date.now() + Math.floor(this.sessionTimeoutMs / 4);
    const members = await this.commands.eval(HEARTBEAT, 1, this.membersKey(), this.options.consumer, this.sessionTimeoutMs);
    const live = Array.isArray(members) ? members.filter((member): member is string => typeof member === 'string') : [];
    const wanted = new Set(assignPartitions(this.options.consumer, live, this.partitions));
    const before = this.assignedPartitions().join(',');
    for (const partition of [...this.owned]) {
      if (!wanted.has(partition)) {
        // We are between batches here, so nothing of this partition is in flight.
        await this.commands.eval(RELEASE_LEASE, 1, this.leaseKey(partition), this.options.consumer);
        this.dropPartition(partition);
      }
    }
    for (const partition of wanted) {
      const lease = await this.commands.eval(ACQUIRE_LEASE, 1, this.leaseKey(partition), this.options.consumer, this.sessionTimeoutMs);
      if (lease === 2) {
        await this.claimPending(partition);
        this.owned.add(partition);
        this.replayPending.add(partition);
      } else if (lease === 1) {
        this.owned.add(partition);
      } else {
        this.dropPartition(partition);
      }
    }
    if (this.assignedPartitions().join(',') !== before) this.options.onAssignment?.(this.assignedPartitions());
  }

  /** Moves every pending entry of the partition (read by a previous owner, never acked) to this consumer. */
  private async claimPending(partition: number): Promise<void> {
    const streamKey = this.stream.streamKey(this.options.topic, partition);
    let cursor = '0-0';
    do {
      const reply = await this.commands.call('XAUTOCLAIM', streamKey, this.options.group, this.options.consumer,
        0, cursor, 'COUNT', this.maxBatchSize, 'JUSTID');
      cursor = parseAutoClaimReply(reply).cursor;
    } while (cursor !== '0-0');
  }

  private dropPartition(partition: number): void {
    this.owned.delete(partition);
    this.replayPending.delete(partition);
  }

  private membersKey(): string {
    return `${this.stream.prefix}:${this.options.topic}:${this.options.group}:members`;
  }

  private leaseKey(partition: number): string {
    return `${this.stream.prefix}:${this.options.topic}:${this.options.group}:lease:${partition}`;
  }
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function backoffMs(failures: number): number {
  return Math.min(MAX_RETRY_BACKOFF_MS, 100 * 2 ** Math.min(Math.max(failures - 1, 0), 6));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
