/**
 * One consumer of a Redis Streams group (see redis.ts for the key layout and why partitions are
 * leased): heart-beats, takes and gives up partition leases to match the group's round-robin
 * assignment, reads its partitions with XREADGROUP, and XACKs only after the handler resolved.
 */
import type Redis from 'ioredis';
import { ensureError } from '../../../errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from './backoff';
import type { DeliveredEvent, SubscribeOptions, Subscription } from './event-stream';
import { STREAM_DEFAULTS } from './event-stream';
import { StreamUnavailableError } from './errors';
import { eventIdInMessage, unpackValue } from './envelope';
import { assignPartitions } from './partitioning';
import { entryKeyAndValue, parseAutoClaimReply, parseReadGroupReply } from './redis-replies';
import type { StreamEntry } from './redis-replies';
import { ACK_IF_LEASED, ACQUIRE_LEASE, HEARTBEAT, RELEASE_LEASE, RENEW } from './redis-scripts';

/** Lua's unpack() has a stack limit of a few thousand values, so XACK in chunks. */
const ACK_CHUNK = 1000;

/**
 * What a subscription needs of the stream it reads (RedisEventStream in redis.ts provides it): the
 * subscription depends on this, not on the stream class, so the two modules do not import each other.
 */
export interface RedisStreamAccess {
  /** The broker's address without credentials, for error messages. */
  readonly address: string;
  /** Prefix of every key the stream writes. */
  readonly prefix: string;
  /** A new connection of the subscription's own (a blocking XREADGROUP holds one). */
  connect(): Redis;
  streamKey(topic: string, partition: number): string;
  ensureGroup(topic: string, group: string, partitions: number): Promise<void>;
}

export class RedisSubscription implements Subscription {
  private readonly reader: Redis;
  private readonly sessionTimeoutMs: number;
  private readonly maxBatchSize: number;
  private readonly owned = new Set<number>();
  /** Partitions whose pending entries (claimed or failed) must be handled before new ones. */
  private readonly replayPending = new Set<number>();
  private nextHeartbeatAt = 0;
  /** When membership and leases were last renewed (rebalance or a handler's heartbeat). */
  private lastRenewalAt = 0;
  private failures = 0;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stream: RedisStreamAccess,
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
      ...[...this.owned].map((partition) => RELEASE_LEASE.run(this.commands, [this.leaseKey(partition)], [this.options.consumer])),
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
        // The partitions of one read are handled side by side, as Kafka does with
        // partitionsConsumedConcurrently: one partition's round trips (produce, checkpoint, ack)
        // overlap another's work. Each partition still has one batch at a time, and the next read
        // waits for all of them.
        const handled = await Promise.allSettled(partitions.map(async (partition) => {
          if (this.stopping) return;
          const entries = entriesByStream.get(this.stream.streamKey(this.options.topic, partition)) ?? [];
          if (entries.length === 0) {
            this.replayPending.delete(partition);
            return;
          }
          await this.handle(partition, entries);
        }));
        const failed = handled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
        if (failed) throw failed.reason;
      } catch (error) {
        if (this.stopping) break;
        // Redis lost the group (restarted without its data): recreate it, redelivering what the stream still holds.
        if (ensureError(error).message.startsWith('NOGROUP')) {
          await this.stream.ensureGroup(this.options.topic, this.options.group, this.partitions).catch(() => undefined);
        }
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
      if (!record) continue;
      // An envelope's events (envelope.ts) are told apart by their place in it; acks name entries.
      const unpacked = unpackValue(record.value);
      for (let index = 0; index < unpacked.length; index += 1) {
        events.push({ id: eventIdInMessage(entry.id, index, unpacked.length), key: record.key, event: unpacked[index] });
      }
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
      const result = await ACK_IF_LEASED.run(this.commands, [this.leaseKey(partition), this.stream.streamKey(this.options.topic, partition)],
        [this.options.consumer, this.options.group, ...ids.slice(start, start + ACK_CHUNK)]);
      if (result === -1) return false;
    }
    return true;
  }

  /**
   * Heartbeat from inside a handler: keeps this consumer's membership and leases alive but moves no
   * partition, since the batch in progress belongs to one of them. Handlers call it once per batch;
   * like kafkajs's heartbeat it only goes to the server when the last one is older than a tenth of
   * the session timeout, which keeps the leases far from expiring at a fraction of the round trips.
   */
  private async renewLeases(): Promise<void> {
    const now = Date.now();
    if (now < this.lastRenewalAt + this.sessionTimeoutMs / 10) return;
    this.lastRenewalAt = now;
    this.nextHeartbeatAt = now + Math.floor(this.sessionTimeoutMs / 4);
    // Retaking a lease that expired but that nobody took is safe: nobody else claimed its entries.
    // A lease another consumer holds now stays theirs; the ack after this batch then fails and the
    // loop drops the partition.
    await RENEW.run(this.commands, [this.membersKey(), ...[...this.owned].map((partition) => this.leaseKey(partition))],
      [this.options.consumer, this.sessionTimeoutMs]);
  }

  /** Heartbeat, then take, keep or give up partitions to match the group's current assignment. */
  private async rebalance(): Promise<void> {
    this.nextHeartbeatAt = Date.now() + Math.floor(this.sessionTimeoutMs / 4);
    this.lastRenewalAt = Date.now();
    const members = await HEARTBEAT.run(this.commands, [this.membersKey()], [this.options.consumer, this.sessionTimeoutMs]);
    const live = Array.isArray(members) ? members.filter((member): member is string => typeof member === 'string') : [];
    const wanted = new Set(assignPartitions(this.options.consumer, live, this.partitions));
    const before = this.assignedPartitions().join(',');
    for (const partition of [...this.owned]) {
      if (!wanted.has(partition)) {
        // We are between batches here, so nothing of this partition is in flight.
        await RELEASE_LEASE.run(this.commands, [this.leaseKey(partition)], [this.options.consumer]);
        this.dropPartition(partition);
      }
    }
    for (const partition of wanted) {
      const lease = await ACQUIRE_LEASE.run(this.commands, [this.leaseKey(partition)], [this.options.consumer, this.sessionTimeoutMs]);
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
