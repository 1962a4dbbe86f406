/**
 * The Rule Engine: consumes orchestration events and starts each task with a non-blocking
 * invocation through the `openwhisk` client. Invoke events carry deterministic ids and may arrive
 * more than once (a Condition Engine re-applied a batch after a crash, a redelivery): a create-only
 * claim per task attempt (invoke-claims.ts) lets exactly one delivery invoke.
 *
 * How a task's completion gets back to the stream:
 * - unmodified actions (default): the engine watches the activation by id (activation-watcher.ts)
 *   and produces `task.completed` / `task.failed` from its record;
 * - self-reporting TS/JS actions (`selfReporting(action)` true): the invocation carries
 *   `__whiskflow_stream` (run, stage, task key, completion topic) and the action produces its own
 *   completion with `reportingAction` (report.ts).
 */
import { hostname } from 'node:os';
import { ensureError } from '../../errors';
import { EVENT_TYPES, type RunFinishedEvent } from '../../events/types';
import type { EventBatch, EventStream, Subscription } from './brokers';
import { ActivationWatcher } from './activation-watcher';
import { ClaimInFlightError, InvokeClaims, type InvokeClaim } from './invoke-claims';
import { thisProcess, type ClaimerProcess } from './claimer-process';
import type { EngineLogger } from './logger';
import { silentLogger } from './logger';
import { STREAM_EVENT_TYPES, parseOrchestrationEvent, type TaskInvokeEvent } from './orchestration-events';
import { STREAM_TASK_PARAM, type StreamTaskContext } from './report';
import { taskKeyToken } from '../../events/event-seal';
import type { StreamTaskInvoker } from './task-invoker';
import { DEFAULT_GROUPS, DEFAULT_TOPICS, type StreamTopics } from './topics';
import type { RunStore, StoredDoc } from '../../store/run-store';
import type { JsonObject } from '../../model/json';
import { AWAIT_ACTION, registerStreamWait, streamCallbackToken } from './stream-waits';
import { CALLBACK_TOKEN_PARAM } from '../../events/callback-token';

export interface RuleEngineOptions {
  stream: EventStream;
  store: RunStore;
  invoker: StreamTaskInvoker;
  topics?: StreamTopics;
  /** @default 'whiskflow-rule-engine' */
  group?: string;
  /** @default `<host>-<pid>-rule` */
  consumer?: string;
  /** Actions that produce their own completion (see report.ts); others are watched. */
  selfReporting?: (action: string) => boolean;
  /**
   * A claim this old without an activation id is taken over (its engine died mid-invoke), or younger
   * when its claiming process is known to have ended (claimer-process.ts). @default 60000
   */
  leaseMs?: number;
  /** Which process claims (tests stand in for another one). @default thisProcess() */
  claimer?: ClaimerProcess;
  /**
   * Longest pause between two rounds of reading the watched activations (a round reads each one
   * that is due, by id), and between two reads of a running task once it is older than this: at
   * most ten reads a second per running task. A new task is read sooner (activation-watcher.ts).
   * @default 100
   */
  pollIntervalMs?: number;
  /** Invocations started at once within a batch. @default 16 */
  concurrency?: number;
  logger?: EngineLogger;
  /** Called for every `run.finished` that passes by (e.g. the CLI prints it). */
  onRunFinished?: (event: RunFinishedEvent) => void;
  now?: () => number;
  /**
   * The deployment's event key (lib/events/event-seal.ts): completions this engine produces, or
   * hands to self-reporting actions to produce, carry their attempt's token. Absent: none do, and a
   * Condition Engine with a key refuses them.
   */
  eventKey?: string;
  /** The workflow of a run, named in callback tokens (for `whiskflow complete`). */
  workflowOf?: (runId: string) => string | undefined;
}

export class RuleEngine {
  private readonly topics: StreamTopics;
  private readonly logger: EngineLogger;
  private readonly claims: InvokeClaims;
  private readonly watcher: ActivationWatcher;
  private readonly consumer: string;
  /** This process, on every claim: a claim of an engine that has ended is taken over at once (claimer-process.ts). */
  private readonly claimer: ClaimerProcess;
  private subscription: Subscription | undefined;
  readonly stats = { invoked: 0, duplicates: 0 };

  constructor(private readonly options: RuleEngineOptions) {
    this.topics = options.topics ?? DEFAULT_TOPICS;
    this.logger = options.logger ?? silentLogger;
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-rule`;
    this.claimer = options.claimer ?? thisProcess();
    this.claims = new InvokeClaims(options.store, options.leaseMs ?? 60_000, options.now);
    this.watcher = new ActivationWatcher(options.invoker, options.stream, this.claims, this.logger, {
      pollIntervalMs: options.pollIntervalMs ?? 100,
      concurrency: options.concurrency ?? 16,
      ...(options.eventKey ? { eventKey: options.eventKey } : {}),
    });
  }

  async start(): Promise<void> {
    // Activations a previous engine started but never saw finish.
    for (const doc of await this.claims.unreported()) {
      this.watcher.watch({ runId: doc.runId, taskKey: doc.taskKey, completionTopic: doc.completionTopic, activationId: doc.activationId as string, invokedAfter: doc.claimedAt, claim: doc });
    }
    this.subscription = await this.options.stream.subscribe({
      topic: this.topics.orchestration,
      group: this.options.group ?? DEFAULT_GROUPS.ruleEngine,
      consumer: this.consumer,
      handler: (batch) => this.handleBatch(batch),
      onError: (error) => this.logger.warn({ err: error.message }, 'rule engine batch will be delivered again'),
    });
    this.watcher.start();
  }

  async stop(): Promise<void> {
    this.watcher.stop();
    await this.subscription?.close();
    this.subscription = undefined;
  }

  watching(): number {
    return this.watcher.size();
  }

  private async handleBatch(batch: EventBatch): Promise<void> {
    const invokes: TaskInvokeEvent[] = [];
    for (const delivered of batch.events) {
      let event;
      try {
        event = parseOrchestrationEvent(delivered.event);
      } catch (error) {
        this.logger.warn({ id: delivered.id, err: ensureError(error).message }, 'skipping an event that is not an orchestration event');
        continue;
      }
      if (event.type === STREAM_EVENT_TYPES.taskInvoke) invokes.push(event);
      else if (event.type === EVENT_TYPES.runFinished) this.options.onRunFinished?.(event);
    }
    // Claimed, invoked and recorded a chunk at a time: a crash between claim and invoke leaves at
    // most one chunk of claims without an activation id (taken over after the lease).
    // A batch may hold a whole wide map's invokes (an envelope carries a run's outputs of one
    // Condition Engine batch), which takes longer than a session timeout to start: heartbeat
    // between chunks, or the group hands the partition on and the batch is delivered again.
    const concurrency = this.options.concurrency ?? 16;
    let inFlight: ClaimInFlightError | undefined;
    for (let start = 0; start < invokes.length; start += concurrency) {
      if (start > 0) await batch.heartbeat();
      try {
        await this.startTasks(invokes.slice(start, start + concurrency));
      } catch (error) {
        // The batch's other tasks still start now; only the redelivery waits for those claims.
        if (!(error instanceof ClaimInFlightError)) throw error;
        inFlight = new ClaimInFlightError([...(inFlight?.claimIds ?? []), ...error.claimIds]);
      }
    }
    if (inFlight) throw inFlight;
  }

  /** Two bulk store writes per chunk (the claims, then their activation ids) around the invokes. */
  private async startTasks(events: readonly TaskInvokeEvent[]): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    // Awaits and callback tasks report through the stream, never by their activation (stream-waits.ts).
    const selfReporting = events.map((event) => event.data.action === AWAIT_ACTION || event.data.callback === true || (this.options.selfReporting?.(event.data.action) ?? false));
    const outcomes = await this.claims.claimAll(events.map(({ data }, index) => ({
      type: 'stream-invoke', runId: data.runId, stageId: data.stageId, taskKey: data.taskKey, action: data.action,
      completionTopic: data.completionTopic, report: selfReporting[index] ? 'self' : 'poll', claimedAt: now, claimedBy: this.consumer, claimer: this.claimer,
    })));
    const won = outcomes.flatMap((outcome, index) => (outcome.kind === 'won' ? [{ event: events[index] as TaskInvokeEvent, doc: outcome.doc, selfReporting: selfReporting[index] === true }] : []));
    this.stats.duplicates += outcomes.length - won.length;
    const invoked = await Promise.allSettled(won.map(({ event, selfReporting }) => this.invoke(event, selfReporting)));
    const started: { doc: StoredDoc<InvokeClaim>; activationId: string }[] = [];
    let failure: { error: unknown } | undefined;
    await Promise.all(invoked.map(async (result, index) => {
      const { doc } = won[index] as (typeof won)[number];
      if (result.status === 'fulfilled') started.push({ doc, activationId: result.value });
      else {
        failure ??= { error: result.reason };
        // Not started: free the claim so that the redelivery of this batch tries again.
        await this.claims.release(doc);
      }
    }));
    this.stats.invoked += started.length;
    for (const doc of await this.claims.invokedAll(started)) {
      if (doc.report === 'poll') this.watcher.watch({ runId: doc.runId, taskKey: doc.taskKey, completionTopic: doc.completionTopic, activationId: doc.activationId as string, invokedAfter: doc.claimedAt, claim: doc });
    }
    if (failure) throw failure.error;
    // Claimed elsewhere and not invoked (yet): ask for the batch again, see ClaimInFlightError.
    const inFlight = outcomes.flatMap((outcome) => (outcome.kind === 'taken' && outcome.doc.activationId === undefined ? [outcome.doc._id] : []));
    if (inFlight.length > 0) throw new ClaimInFlightError(inFlight);
  }

  private async invoke(event: TaskInvokeEvent, selfReporting: boolean): Promise<string> {
    const { data } = event;
    if (data.action === AWAIT_ACTION) {
      await registerStreamWait(this.options.store, event, (topic, key, produced) => this.options.stream.produce(topic, key, [produced]), (this.options.now ?? Date.now)(), this.options.eventKey);
      return AWAIT_ACTION;
    }
    const task: StreamTaskContext = { runId: data.runId, stageId: data.stageId, taskKey: data.taskKey, completionTopic: data.completionTopic };
    if (this.options.eventKey) task.token = taskKeyToken(this.options.eventKey, data.runId, data.taskKey);
    let params: JsonObject = selfReporting ? { ...data.params, [STREAM_TASK_PARAM]: task as unknown as JsonObject } : data.params;
    if (data.callback) params = { ...params, [CALLBACK_TOKEN_PARAM]: streamCallbackToken(task, data.workflow ?? this.options.workflowOf?.(data.runId) ?? '') };
    return this.options.invoker.invoke(data.action, params);
  }
}
