/**
 * One reader of the run store's changes (CouchDB's `_changes` feed, documents included) for the
 * whole dashboard: the live stream and the in-memory copies of what pages show (run-cache.ts) follow
 * it, so that an open page costs the store the documents written since the last look, not a new
 * listing of a 10,000-task run on every update. Reads are shared: callers arriving while one is
 * under way wait for that one (and at most one more), never start their own.
 */

/** A changed document as the feed gives it: the document's latest revision, or its deletion. */
export interface ChangedDoc { id: string; deleted?: boolean; doc?: { _id: string; _rev: string } & Record<string, unknown> }

export interface ChangesBatch { results: ChangedDoc[]; lastSeq: string }

/** `_changes?since=<since>&include_docs=true&limit=<limit>`; `since` absent: from the store's current sequence on (no results). */
export type ReadChanges = (since: string | undefined, limit: number) => Promise<ChangesBatch>;

export interface WatchSubscriber {
  /** Documents changed since the last batch, in the feed's order. */
  changed(docs: readonly ChangedDoc[]): void;
  /** More changed than one read takes: what was copied may be stale, drop it. */
  reset(): void;
}

/** Changes read at once; more than this since the last look drops the copies rather than replays the backlog. */
export const CHANGES_LIMIT = 5000;

export class StoreWatch {
  private since: string | undefined;
  private readonly subscribers = new Set<WatchSubscriber>();
  private current: Promise<string> | undefined;
  private next: Promise<string> | undefined;

  constructor(private readonly read: ReadChanges, private readonly limit = CHANGES_LIMIT) {}

  /** The last sequence read (a version of the store), or undefined before the first read. */
  get version(): string | undefined {
    return this.since;
  }

  subscribe(subscriber: WatchSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /**
   * Reads what changed since the last read and hands it to the subscribers; resolves with the
   * store's sequence. A caller arriving during a read gets the read after it (which sees its
   * writes), shared with everyone else arriving meanwhile.
   */
  catchUp(): Promise<string> {
    if (!this.current) {
      this.current = this.readOnce().finally(() => { this.current = undefined; });
      return this.current;
    }
    this.next ??= this.current.catch(() => undefined).then(() => {
      this.next = undefined;
      return this.catchUp();
    });
    return this.next;
  }

  private async readOnce(): Promise<string> {
    const first = this.since === undefined;
    const batch = await this.read(this.since, this.limit);
    this.since = batch.lastSeq;
    if (first) return batch.lastSeq;
    if (batch.results.length >= this.limit) {
      // A backlog (nobody looked for a long while, or a bulk load): copies are re-read on demand.
      this.since = (await this.read(undefined, this.limit)).lastSeq;
      for (const subscriber of this.subscribers) subscriber.reset();
      return this.since;
    }
    if (batch.results.length) for (const subscriber of this.subscribers) subscriber.changed(batch.results);
    return batch.lastSeq;
  }
}
