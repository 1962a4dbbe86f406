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
 * Producing: one Lua script call (PRODUCE in redis-scripts.ts) appends up to 1,000 entries, in order.
 * An entry is an envelope (envelope.ts): the events of one key from one produce call, up to 256 KiB.
 * An entry whose value is not a JSON array is one event, so other producers may XADD single events.
 *
 * Trimming (MAXLEN policy): each XADD trims its partition stream to about `maxLenPerPartition`
 * entries (`MAXLEN ~`, cheap whole-node trimming). It counts entries, not events: an entry is an
 * envelope of one or more. This bounds memory, but a group lagging by more than that loses the
 * oldest entries; trimmed entries still pending are acked and skipped. Size it
 * to the longest outage to ride out (at 20,000 events/s over 8 partitions the default of 1,000,000
 * is about 400 s), or pass 0 to never trim and trim by other means.
 */
import Redis from 'ioredis';
import { ensureError } from '../../../errors';
import type { EventStream, StreamRecord, SubscribeOptions, Subscription } from './event-stream';
import { STREAM_DEFAULTS } from './event-stream';
import { StreamClosedError, StreamUnavailableError, redactUrl } from './errors';
import { chunksOf, packByKey } from './envelope';
import { partitionForKey } from './partitioning';
import { PRODUCE, PRODUCE_PACKED, type RedisScript } from './redis-scripts';
import { RedisSubscription, type RedisStreamAccess } from './redis-subscription';

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
/** Entries per produce script call: about a millisecond of server time. */
const PRODUCE_CHUNK = 1000;
/** Bytes per produce script call, since an entry (an envelope) may hold up to 256 KiB. */
const PRODUCE_CHUNK_BYTES = 1024 * 1024;

export class RedisEventStream implements EventStream, RedisStreamAccess {
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
    // Each key's events go in envelopes (envelope.ts), one stream entry each; one script call per
    // chunk of entries (see PRODUCE): entries keep their order per stream, and a chunk bounds how
    // long the script holds the server.
    for (const chunk of chunksOf(packByKey(records), PRODUCE_CHUNK_BYTES, PRODUCE_CHUNK)) {
      const keys: string[] = [];
      const keyIndex = new Map<number, number>();
      const streamIndex = (key: string): number => {
        const partition = partitionForKey(key, partitions);
        let index = keyIndex.get(partition);
        if (index === undefined) {
          keys.push(this.streamKey(topic, partition));
          index = keys.length;
          keyIndex.set(partition, index);
        }
        return index;
      };
      let script: RedisScript;
      const args: (string | number)[] = [this.maxLen];
      if (chunk.some((message) => message.key.includes('\n'))) {
        script = PRODUCE;
        for (const message of chunk) args.push(streamIndex(message.key), message.key, message.value);
      } else {
        script = PRODUCE_PACKED;
        let packed = '';
        for (const message of chunk) packed += `${streamIndex(message.key)}\n${message.key}\n${message.value}\n`;
        args.push(packed);
      }
      try {
        await script.run(this.commands, keys, args);
      } catch (error) {
        throw new StreamUnavailableError('redis', `produce to '${topic}'`, this.address, error);
      }
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen('subscribe');
    const partitions = await this.partitionCount(options.topic);
    await this.ensureGroup(options.topic, options.group, partitions);
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

  /**
   * Creates the group on every partition stream, reading from the start: events produced before the
   * first engine started count too. Also used to recover when Redis lost the group (NOGROUP).
   */
  async ensureGroup(topic: string, group: string, partitions: number): Promise<void> {
    try {
      await Promise.all(Array.from({ length: partitions }, (_, partition) =>
        this.commands.xgroup('CREATE', this.streamKey(topic, partition), group, '0', 'MKSTREAM')
          .catch((error: unknown) => {
            // BUSYGROUP: another consumer created it first, which is the normal case.
            if (!ensureError(error).message.startsWith('BUSYGROUP')) throw error;
          })));
    } catch (error) {
      throw new StreamUnavailableError('redis', `create group '${group}' on '${topic}'`, this.address, error);
    }
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
