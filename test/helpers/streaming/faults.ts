/** Wrappers that make a process misbehave the ways the engines must survive. */
import type { EventStream, StreamRecord, SubscribeOptions, Subscription } from '../../../lib/runtimes/streaming/brokers';
import { StoreConflictError } from '../../../lib/errors';
import type { CreateOutcome, ListOptions, ListedDoc, RunStore, StoredDoc } from '../../../lib/store/run-store';

/** Every event produced through it is produced twice: each consumer sees each event twice. */
export class DuplicatingStream implements EventStream {
  constructor(private readonly inner: EventStream) {}
  get backend() {
    return this.inner.backend;
  }
  produce(topic: string, key: string, events: readonly unknown[]): Promise<void> {
    return this.inner.produce(topic, key, events.flatMap((event) => [event, event]));
  }
  produceBatch(topic: string, records: readonly StreamRecord[]): Promise<void> {
    return this.inner.produceBatch(topic, records.flatMap((record) => [record, record]));
  }
  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * A process's view of the shared store that "dies" at a chosen checkpoint: once `trips` says so
 * for a run context about to be written, every later write fails. `before`: that checkpoint is lost
 * too (death between producing outputs and checkpointing); `after`: it lands, and the process dies
 * before the broker hears that the batch was handled.
 */
export class DyingStore implements RunStore {
  readonly description = 'dying';
  tripped = false;

  constructor(private readonly inner: RunStore, private readonly trips: (id: string, body: object) => boolean, private readonly when: 'before' | 'after' = 'before') {}

  private async check<T>(id: string, body: object, write: () => Promise<T>): Promise<T> {
    if (this.tripped) throw new StoreConflictError(id, 'process is dead');
    if (!id.startsWith('stream/') || !this.trips(id, body)) return write();
    this.tripped = true;
    if (this.when === 'after') await write();
    throw new StoreConflictError(id, 'process is dead');
  }

  ensureReady(): Promise<void> {
    return this.inner.ensureReady();
  }
  createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    return this.check(id, body, () => this.inner.createOnly(id, body));
  }
  get<T extends object>(id: string): Promise<StoredDoc<T> | undefined> {
    return this.inner.get<T>(id);
  }
  replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    return this.check(doc._id, doc, () => this.inner.replace(doc));
  }
  upsert<T extends object>(id: string, body: T): Promise<string> {
    return this.check(id, body, () => this.inner.upsert(id, body));
  }
  remove(id: string): Promise<boolean> {
    return this.inner.remove(id);
  }
  listByPrefix<T extends object>(prefix: string, options?: ListOptions): Promise<ListedDoc<T>[]> {
    return this.inner.listByPrefix<T>(prefix, options);
  }
}
