/**
 * Completion of unmodified actions: the Rule Engine invokes them non-blocking and then watches the
 * activation by id until the platform has its record, turns the record into `task.completed` or
 * `task.failed` (lib/events/activation.ts, the same reading the native engine uses) and produces it
 * to the run's completion topic. The event id is derived from the task key, so if two engines both
 * watch an activation (one resumed after a restart), the Condition Engine applies its outcome once.
 */
import { ensureError } from '../../errors';
import { taskEventFromActivation, type ActivationLike } from '../../events/activation';
import { toStructuredJson } from '../../events/cloudevent';
import type { EventStream, StreamRecord } from './brokers';
import type { InvokeClaim, InvokeClaims } from './invoke-claims';
import type { StoredDoc } from '../../store/run-store';
import type { EngineLogger } from './logger';
import type { StreamTaskInvoker } from './task-invoker';

type Watched = Pick<InvokeClaim, 'runId' | 'taskKey' | 'completionTopic'> & {
  activationId: string;
  /** Epoch ms before the invoke (the claim's `claimedAt`): the activation started after this. */
  invokedAfter: number;
  /** Not read by id again before this (epoch ms); set after a read found it still running. */
  readNotBefore?: number;
  /** The claim as last written, so that marking it reported needs no read (absent: read it then). */
  claim?: StoredDoc<InvokeClaim>;
};

/** Finished activations reported together (one produce, one bulk write of their claims). */
const REPORT_BATCH = 256;

/** Watched activations up to which rounds follow `quietPollIntervalMs`. */
const QUIET_BELOW = 16;

/** Longest pause between two reads by id of a running activation. */
const MAX_READ_BACKOFF_MS = 5_000;

/** The list API's largest page. */
const LIST_PAGE = 200;

export interface ActivationWatcherOptions {
  /** Pause between rounds while more than `QUIET_BELOW` activations are watched. */
  pollIntervalMs: number;
  /** Pause between rounds while at most `QUIET_BELOW` are. @default pollIntervalMs */
  quietPollIntervalMs?: number;
  /** Reads by id in flight at once. */
  concurrency: number;
  /**
   * Activations invoked this recently are looked for in the namespace's list of recent records;
   * older ones are read by id. @default 10000
   */
  listWindowMs?: number;
  /**
   * A recent activation the list has not shown after this long is read by id as well: a platform
   * may list a record later than it serves it by id (OpenWhisk lists through a CouchDB view), and
   * the engine's and platform's clocks may differ. @default 2000
   */
  byIdAfterMs?: number;
  /** Pages of the list read per round, newest first. @default 5 */
  listPages?: number;
  /** Allowance for the platform's clock running behind the engine's. @default 250 */
  clockSkewMs?: number;
}

export class ActivationWatcher {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private marking: Promise<void> = Promise.resolve();

  constructor(
    private readonly invoker: StreamTaskInvoker,
    private readonly stream: EventStream,
    private readonly claims: InvokeClaims,
    private readonly logger: EngineLogger,
    private readonly options: ActivationWatcherOptions,
  ) {}

  watch(task: Watched): void {
    this.watched.set(task.activationId, task);
  }

  size(): number {
    return this.watched.size;
  }

  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.pollOnce().catch((error: unknown) => this.logger.warn({ err: ensureError(error).message }, 'activation poll failed')).finally(() => {
          if (this.timer) loop();
        });
      }, this.watched.size <= QUIET_BELOW ? this.options.quietPollIntervalMs ?? this.options.pollIntervalMs : this.options.pollIntervalMs);
    };
    loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Looks once at every watched activation and reports the finished ones: their completion events
   * go out in one produce per topic and their claims are marked reported in one bulk write, per
   * `REPORT_BATCH` finished activations (and at the end of the round). Reporting a wide fan-out's
   * completions in large batches lets the Condition Engine apply (and checkpoint the run) once per
   * batch instead of once per handful of events.
   *
   * Recently invoked activations are looked for in pages of the namespace's recent records first:
   * a wide map's tasks mostly finish within a round or two, and one page shows up to 200 of them
   * where reading each by id cost the platform a request apiece (on the local platform, reads by id
   * took two thirds of a 10,000-task fan-out's time, and a round of them most of its join latency).
   */
  async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = Date.now();
      const pending = [...this.watched.values()];
      const listed = await this.listRecent(pending, now);
      let finished: Finished[] = [];
      for (const task of pending) {
        const record = listed.get(task.activationId);
        if (record) finished.push(this.finished(task, record));
        if (finished.length >= REPORT_BATCH) {
          await this.report(finished);
          finished = [];
        }
      }
      const byIdAfterMs = this.options.byIdAfterMs ?? 2_000;
      const byId = pending.filter((task) => !listed.has(task.activationId)
        && (this.invoker.finishedSince === undefined || now - task.invokedAfter >= byIdAfterMs)
        && now >= (task.readNotBefore ?? 0));
      for (let start = 0; start < byId.length; start += this.options.concurrency) {
        const chunk = byId.slice(start, start + this.options.concurrency);
        for (const item of await Promise.all(chunk.map((task) => this.check(task)))) if (item) finished.push(item);
        if (finished.length >= REPORT_BATCH) {
          await this.report(finished);
          finished = [];
        }
      }
      await this.report(finished);
    } finally {
      this.polling = false;
    }
  }

  /**
   * The finished records among the namespace's recent activations, by id, for the watched ones
   * invoked within the list window. Reads pages newest first until one is short, every recent
   * watched activation is found, or `listPages` were read; what it misses is read by id later.
   */
  private async listRecent(pending: readonly Watched[], now: number): Promise<Map<string, ActivationLike>> {
    const found = new Map<string, ActivationLike>();
    const list = this.invoker.finishedSince?.bind(this.invoker);
    if (!list) return found;
    const windowMs = this.options.listWindowMs ?? 10_000;
    const wanted = new Set<string>();
    let since = Infinity;
    for (const task of pending) {
      if (now - task.invokedAfter >= windowMs) continue;
      wanted.add(task.activationId);
      since = Math.min(since, task.invokedAfter);
    }
    if (wanted.size === 0) return found;
    since -= this.options.clockSkewMs ?? 250;
    const pages = this.options.listPages ?? 5;
    try {
      for (let page = 0; page < pages && found.size < wanted.size; page += 1) {
        const records = await list(since, page * LIST_PAGE, LIST_PAGE);
        for (const record of records) if (wanted.has(record.activationId)) found.set(record.activationId, record);
        if (records.length < LIST_PAGE) break;
      }
    } catch (error) {
      // Reads by id still find them, once past `byIdAfterMs`.
      this.logger.warn({ err: ensureError(error).message }, 'could not list recent activations; reading them by id');
    }
    return found;
  }

  /** The completion event of a finished activation; undefined while it runs (or cannot be read). */
  private async check(task: Watched): Promise<Finished | undefined> {
    let record;
    try {
      record = await this.invoker.activation(task.activationId);
    } catch (error) {
      this.logger.warn({ activationId: task.activationId, err: ensureError(error).message }, 'could not read activation; will try again');
      return undefined;
    }
    if (!record) {
      // A long task is read less and less often: a twentieth of its age (at most 5 s) between reads,
      // so a task that has run 100 s is read every 5 s, not several times a second.
      const now = Date.now();
      task.readNotBefore = now + Math.min(MAX_READ_BACKOFF_MS, Math.floor((now - task.invokedAfter) / 20));
      return undefined;
    }
    return this.finished(task, record);
  }

  private finished(task: Watched, record: ActivationLike): Finished {
    return { task, record: { key: task.runId, event: toStructuredJson(taskEventFromActivation(task.runId, task.taskKey, record)) } };
  }

  private async report(finished: readonly Finished[]): Promise<void> {
    if (finished.length === 0) return;
    const byTopic = new Map<string, StreamRecord[]>();
    for (const { task, record } of finished) {
      const records = byTopic.get(task.completionTopic);
      if (records) records.push(record);
      else byTopic.set(task.completionTopic, [record]);
    }
    // Produced before the activations are forgotten: a failed produce leaves them watched for the next poll.
    for (const [topic, records] of byTopic) await this.stream.produceBatch(topic, records);
    const reportedAt = Date.now();
    for (const { task } of finished) this.watched.delete(task.activationId);
    const known = finished.flatMap(({ task }) => (task.claim ? [task.claim] : []));
    // Marking the claims reported only spares a restarted engine from watching them again (their
    // events would be duplicates, deduped by id), so the next round need not wait for it: on the
    // embedded CouchDB it took most of a round. One marking at a time, in order.
    const mark = (): Promise<unknown> => Promise.all([
      this.claims.reportedAll(known, reportedAt),
      ...finished.filter(({ task }) => !task.claim).map(({ task }) => this.claims.reported(task.runId, task.taskKey, reportedAt)),
    ]);
    this.marking = this.marking.then(async () => { await mark(); }).catch((error: unknown) => {
      this.logger.warn({ err: ensureError(error).message }, 'could not mark reported completions; a restarted engine reports them again');
    });
  }

  /** Resolves once the claims of every completion reported so far are marked (or failed to be). */
  async settled(): Promise<void> {
    await this.marking;
  }
}

interface Finished {
  task: Watched;
  record: StreamRecord;
}
