/**
 * An in-process {@link EventStream} with the brokers' guarantees, for unit tests, benchmarks of the
 * engine logic alone and single-process use (`memory://`).
 *
 * A {@link MemoryBroker} holds the topics; each {@link MemoryEventStream} is one process's connection
 * to it. Like the real backends: a key maps to one partition, consumers of a group share partitions
 * round-robin, a batch is checkpointed only after its handler resolves, a rejected batch is delivered
 * again, and a consumer that leaves hands its partitions over from the last checkpoint.
 * {@link MemoryEventStream.crash} models a process that dies mid-batch: its in-flight batches are
 * never checkpointed, whatever their handlers do afterwards.
 */
import { StreamClosedError } from './brokers';
import type { BatchHandler, DeliveredEvent, EventStream, StreamRecord, SubscribeOptions, Subscription } from './brokers';

interface StoredEvent {
  readonly key: string;
  /** Kept as JSON text, as a broker would: handlers never share objects with producers. */
  readonly json: string;
}

interface GroupState {
  /** Next offset to deliver, by partition (the checkpoint). */
  readonly committed: number[];
  readonly members: MemorySubscription[];
}

export class MemoryBroker {
  private readonly topics = new Map<string, StoredEvent[][]>();
  private readonly groups = new Map<string, GroupState>();

  constructor(readonly partitions = 4) {}

  append(topic: string, key: string, event: unknown): void {
    const partitions = this.topic(topic);
    partitions[partitionOf(key, this.partitions)]?.push({ key, json: JSON.stringify(event) });
    this.pumpAll();
  }

  /** Every event ever produced to `topic`, in partition then offset order (for assertions). */
  events(topic: string): unknown[] {
    return this.topic(topic).flatMap((partition) => partition.map((stored) => JSON.parse(stored.json) as unknown));
  }

  /** @internal */
  topic(topic: string): StoredEvent[][] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: this.partitions }, () => []);
      this.topics.set(topic, partitions);
    }
    return partitions;
  }

  /** @internal */
  group(topic: string, group: string): GroupState {
    const id = `${topic}\u0000${group}`;
    let state = this.groups.get(id);
    if (!state) {
      state = { committed: Array.from({ length: this.partitions }, () => 0), members: [] };
      this.groups.set(id, state);
    }
    return state;
  }

  /** @internal Recomputes every member's partitions after a join or leave, like a rebalance. */
  rebalance(state: GroupState): void {
    const sorted = [...state.members].sort((a, b) => a.name.localeCompare(b.name));
    sorted.forEach((member, position) => {
      const owned: number[] = [];
      for (let partition = position; partition < this.partitions; partition += sorted.length) owned.push(partition);
      member.assign(owned);
    });
    this.pumpAll();
  }

  /** @internal */
  pumpAll(): void {
    for (const state of this.groups.values()) for (const member of state.members) member.pump();
  }
}

export class MemoryEventStream implements EventStream {
  /** `StreamBackend` names only real brokers; Redis is the closest (per-partition leases, acks). */
  readonly backend = 'redis' as const;
  private readonly subscriptions = new Set<MemorySubscription>();
  private closed = false;

  constructor(readonly broker: MemoryBroker) {}

  async produce(topic: string, key: string, events: readonly unknown[]): Promise<void> {
    this.assertOpen('produce');
    for (const event of events) this.broker.append(topic, key, event);
  }

  async produceBatch(topic: string, records: readonly StreamRecord[]): Promise<void> {
    this.assertOpen('produce');
    for (const record of records) this.broker.append(topic, record.key, record.event);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen('subscribe');
    const subscription = new MemorySubscription(this.broker, options);
    this.subscriptions.add(subscription);
    subscription.join();
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }

  /** Dies without checkpointing: batches in flight stay unacknowledged and go to other members. */
  crash(): void {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.abandon();
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StreamClosedError(this.backend, operation);
  }
}

class MemorySubscription implements Subscription {
  readonly name: string;
  private readonly state: GroupState;
  private owned: number[] = [];
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly retryPending = new Set<number>();
  private active = false;

  constructor(private readonly broker: MemoryBroker, private readonly options: SubscribeOptions) {
    this.name = options.consumer;
    this.state = broker.group(options.topic, options.group);
  }

  join(): void {
    this.active = true;
    this.state.members.push(this);
    this.broker.rebalance(this.state);
  }

  assign(partitions: number[]): void {
    const changed = partitions.join(',') !== this.owned.join(',');
    this.owned = partitions;
    if (changed) this.options.onAssignment?.(partitions);
  }

  assignedPartitions(): readonly number[] {
    return this.owned;
  }

  /** Delivers the next batch of every owned partition that has events and none in flight. */
  pump(): void {
    if (!this.active) return;
    for (const partition of this.owned) {
      if (this.inFlight.has(partition) || this.retryPending.has(partition)) continue;
      // A partition still busy in its previous owner's hands waits for that batch to settle.
      if (this.state.members.some((member) => member !== this && member.isBusyWith(partition))) continue;
      const log = this.broker.topic(this.options.topic)[partition] ?? [];
      const from = this.state.committed[partition] ?? 0;
      if (from >= log.length) continue;
      const to = Math.min(log.length, from + (this.options.maxBatchSize ?? 1000));
      const events: DeliveredEvent[] = log.slice(from, to).map((stored, index) => ({
        id: `${partition}:${from + index}`,
        key: stored.key,
        event: JSON.parse(stored.json) as unknown,
      }));
      this.inFlight.set(partition, this.deliver(partition, from, to, events, this.options.handler));
    }
  }

  isBusyWith(partition: number): boolean {
    return this.inFlight.has(partition);
  }

  private async deliver(partition: number, from: number, to: number, events: DeliveredEvent[], handler: BatchHandler): Promise<void> {
    // Let the caller finish what it is doing first, as a network round trip would.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await handler({ topic: this.options.topic, partition, events, heartbeat: async () => {} });
      // Checkpoint only if this member is still alive and nobody moved the checkpoint meanwhile.
      if (this.active && this.state.committed[partition] === from) this.state.committed[partition] = to;
    } catch (thrown) {
      this.options.onError?.(thrown instanceof Error ? thrown : new Error(String(thrown)));
      this.retryPending.add(partition);
      // Back off a little before redelivering, so a persistent failure does not spin the CPU.
      setTimeout(() => {
        this.retryPending.delete(partition);
        this.broker.pumpAll();
      }, 20).unref();
    } finally {
      this.inFlight.delete(partition);
      this.broker.pumpAll();
    }
  }

  async close(): Promise<void> {
    if (!this.active) return;
    await Promise.allSettled([...this.inFlight.values()]);
    this.leave();
  }

  abandon(): void {
    if (!this.active) return;
    this.leave();
  }

  private leave(): void {
    this.active = false;
    const index = this.state.members.indexOf(this);
    if (index >= 0) this.state.members.splice(index, 1);
    this.inFlight.clear();
    this.broker.rebalance(this.state);
  }
}

/** FNV-1a: one key always lands in one partition. */
function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
