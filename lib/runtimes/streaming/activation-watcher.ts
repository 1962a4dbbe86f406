/**
 * Completion of unmodified actions: the Rule Engine invokes them non-blocking and then watches the
 * activation by id until the platform has its record, turns the record into `task.completed` or
 * `task.failed` (lib/events/activation.ts, the same reading the native engine uses) and produces it
 * to the run's completion topic. The event id is derived from the task key, so if two engines both
 * watch an activation (one resumed after a restart), the Condition Engine applies its outcome once.
 */
import { ensureError } from '../../errors';
import { taskEventFromActivation } from '../../events/activation';
import { toStructuredJson } from '../../events/cloudevent';
import { taskKeyToken } from '../../events/event-seal';
import { withToken } from './report';
import type { EventStream, StreamRecord } from './brokers';
import type { InvokeClaim, InvokeClaims } from './invoke-claims';
import type { StoredDoc } from '../../store/run-store';
import type { EngineLogger } from './logger';
import type { StreamTaskInvoker } from './task-invoker';

type Watched = Pick<InvokeClaim, 'runId' | 'taskKey' | 'completionTopic'> & {
  activationId: string;
  /** Epoch ms before the invoke (the claim's `claimedAt`): how long the task has been running. */
  invokedAfter: number;
  /** Not read again before this (epoch ms); set after a read found it still running. */
  readNotBefore?: number;
  /** The claim as last written, so that marking it reported needs no read (absent: read it then). */
  claim?: StoredDoc<InvokeClaim>;
};

/** Finished activations reported together (one produce, one bulk write of their claims). */
const REPORT_BATCH = 256;

/** Longest pause between two reads of a running activation. */
const MAX_READ_BACKOFF_MS = 5_000;

/**
 * A new activation is first read this long after its invoke. A short task (a no-op ends ~10-20 ms
 * after the invoke on the local platform) is then reported at once instead of at the next round of
 * the interval: in a sequence, where each task starts just after the last one was reported, the
 * rounds otherwise set the pace, ~100 ms a transition.
 */
const FIRST_READ_AFTER_MS = 20;

/**
 * Rounds come sooner than the interval (at most every MIN_ROUND_GAP_MS) only while this few
 * activations are watched: a sequence, a narrow map, the tail of a wide one. A round's completions
 * reach the Condition Engine as one batch, and it checkpoints the run once per batch: a wide
 * fan-out read in many small rounds made many small batches (a 10,000-task map took 74-83 s
 * instead of 44-47 s, with twice the engine's CPU and store requests per task; only ~20-50 of its
 * tasks are watched at a time, the platform ends no-ops as fast as they are started).
 */
const FEW_WATCHED = 8;
const MIN_ROUND_GAP_MS = 5;

export class ActivationWatcher {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  /** When the pending timer fires (epoch ms). */
  private timerAt = Number.POSITIVE_INFINITY;
  /** When the last round ended (epoch ms): completions gather for the next one from then on. */
  private lastRoundAt = 0;
  private running = false;
  private polling = false;

  constructor(
    private readonly invoker: StreamTaskInvoker,
    private readonly stream: EventStream,
    private readonly claims: InvokeClaims,
    private readonly logger: EngineLogger,
    private readonly options: { pollIntervalMs: number; concurrency: number; eventKey?: string },
  ) {}

  watch(task: Watched): void {
    const readNotBefore = task.readNotBefore ?? task.invokedAfter + FIRST_READ_AFTER_MS;
    this.watched.set(task.activationId, { ...task, readNotBefore });
    this.wakeAt(readNotBefore);
  }

  size(): number {
    return this.watched.size;
  }

  /**
   * Rounds run when a watched activation is due: `pollIntervalMs` after the last round at the
   * latest, sooner when a new activation's first read comes before that while few are watched
   * (FEW_WATCHED).
   */
  start(): void {
    this.running = true;
    this.wakeAt(Date.now() + this.options.pollIntervalMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Makes sure a round runs by `due`, or as soon after it as the round gap allows (a later timer
   * is moved forward; an earlier one stays). During a round nothing is set: its end schedules.
   */
  private wakeAt(due: number): void {
    if (!this.running || this.polling) return;
    const roundGap = this.watched.size <= FEW_WATCHED ? MIN_ROUND_GAP_MS : this.options.pollIntervalMs;
    const at = Math.max(due, this.lastRoundAt + roundGap);
    if (this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.pollOnce().catch((error: unknown) => this.logger.warn({ err: ensureError(error).message }, 'activation poll failed')).finally(() => {
        this.lastRoundAt = Date.now();
        this.scheduleNext();
      });
    }, Math.max(0, at - Date.now()));
  }

  /** After a round: the next when the earliest watched activation is due, or the interval is up. */
  private scheduleNext(): void {
    const now = Date.now();
    let due = now + this.options.pollIntervalMs;
    for (const task of this.watched.values()) if ((task.readNotBefore ?? 0) < due) due = task.readNotBefore ?? 0;
    this.wakeAt(due);
  }

  /**
   * Reads every watched activation once and reports the finished ones: their completion events go
   * out in one produce per topic and their claims are marked reported in one bulk write, per
   * `REPORT_BATCH` finished activations (and at the end of the round). Reporting a wide fan-out's
   * completions in large batches lets the Condition Engine apply (and checkpoint the run) once per
   * batch instead of once per handful of events.
   */
  private async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const now = Date.now();
      const pending = [...this.watched.values()].filter((task) => now >= (task.readNotBefore ?? 0));
      let finished: Finished[] = [];
      for (let start = 0; start < pending.length; start += this.options.concurrency) {
        const chunk = pending.slice(start, start + this.options.concurrency);
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
      task.readNotBefore = Date.now() + readAgainAfter(Date.now() - task.invokedAfter, this.options.pollIntervalMs);
      return undefined;
    }
    const event = toStructuredJson(taskEventFromActivation(task.runId, task.taskKey, record));
    const token = this.options.eventKey ? taskKeyToken(this.options.eventKey, task.runId, task.taskKey) : undefined;
    return { task, record: { key: task.runId, event: withToken(event, token) } };
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
    await Promise.all([
      this.claims.reportedAll(known, reportedAt),
      ...finished.filter(({ task }) => !task.claim).map(({ task }) => this.claims.reported(task.runId, task.taskKey, reportedAt)),
    ]);
  }
}

interface Finished {
  task: Watched;
  record: StreamRecord;
}

/**
 * The pause before a running activation of this age is read again. A young task is read again
 * after its age (20, 40, 80 ms ...) up to `pollIntervalMs`; a long one after a twentieth of its
 * age, at most 5 s, so that a task that has run 100 s is read every 5 s, not ten times a second
 * for its whole run.
 */
export function readAgainAfter(ageMs: number, pollIntervalMs: number): number {
  const young = Math.min(Math.max(ageMs, FIRST_READ_AFTER_MS), pollIntervalMs);
  return Math.max(young, Math.min(MAX_READ_BACKOFF_MS, Math.floor(ageMs / 20)));
}
