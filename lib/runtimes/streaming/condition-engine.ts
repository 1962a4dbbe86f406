/**
 * The Condition Engine: consumes run events (run starts, task completions, its own timers) from the
 * completion topic, keyed by run id, applies them to each run's context with the pure `apply-input`
 * and produces orchestration events ("invoke this task", "run finished") to the orchestration topic.
 *
 * Per batch (one partition, in order), the order of writes is what makes a crash harmless:
 * 1. apply every event to its run's context (pure; duplicates change nothing);
 * 2. produce the outputs: deterministic ids, so producing them again after a crash is deduplicated
 *    by the Rule Engine;
 * 3. write run heads (`run/<runId>`, idempotent) and checkpoint the contexts (compare-and-swap);
 * 4. only then resolve, which lets the broker acknowledge the batch.
 * A crash anywhere before 4 redelivers the batch to whichever engine owns the partition next, which
 * applies it to the last checkpoint and so reaches the same outputs: nothing is missed, and nothing
 * fires twice downstream. Several engines share the partitions through one consumer group.
 */
import { hostname } from 'node:os';
import { ensureError, hasErrorCode } from '../../errors';
import { EVENT_TYPES } from '../../events/types';
import type { RunDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { applyInput, applyStart, type Applied, type ApplyOptions } from './apply-input';
import type { EventBatch, EventStream, StreamRecord, Subscription } from './brokers';
import { ContextStore, type StoredContext } from './context-store';
import type { EngineLogger } from './logger';
import { silentLogger } from './logger';
import { parseConditionInput, timerFired, toStreamJson, type ConditionInput } from './orchestration-events';
import { TOKEN_ATTRIBUTE, sameToken, taskKeyToken } from '../../events/event-seal';
import { recordRejectedEvent } from '../../store/rejected-events';

/** The inputs that report a task's outcome: only the attempt's holder may send them. */
const TASK_EVENT_TYPES = new Set<string>([EVENT_TYPES.taskCompleted, EVENT_TYPES.taskFailed, EVENT_TYPES.taskTimedOut]);
import { createRunHead, endRunHead, refusedStartHead, runEndOf, startedHead } from '../../store/run-records';
import { LruMap } from '../../core/lru-map';
import { numberStageVisits } from './stage-visits';
import type { StreamRunContext, Timer } from './run-context';
import { TimerWheel } from './timer-wheel';
import { DEFAULT_GROUPS, DEFAULT_TOPICS, type StreamTopics } from './topics';
import type { StreamTrigger } from './triggers';
import type { WorkflowSource } from './workflow-source';

export interface ConditionEngineOptions {
  stream: EventStream;
  store: RunStore;
  workflows: WorkflowSource;
  topics?: StreamTopics;
  /** @default 'whiskflow-condition-engine' */
  group?: string;
  /** Unique within the group. @default `<host>-<pid>-condition` */
  consumer?: string;
  triggers?: readonly StreamTrigger[];
  logger?: EngineLogger;
  /** How often due timers are checked. @default 50 */
  timerResolutionMs?: number;
  sessionTimeoutMs?: number;
  now?: () => number;
  /**
   * The deployment's event key: a task's completion, failure or timeout must carry its attempt's
   * token (lib/events/event-seal.ts), or it is refused and counted in the run's status. Absent:
   * every event is taken as it comes (tests of the engine alone).
   */
  eventKey?: string;
}

/** One run's share of a batch: its checkpoint before, its context after, what to produce. */
interface RunWork {
  runId: string;
  previous: StoredContext | undefined;
  context: StreamRunContext | undefined;
  changed: boolean;
  outputs: StreamRecord[];
}

/** What applying a batch's inputs did to one run. */
interface AppliedRun {
  context: StreamRunContext | undefined;
  changed: boolean;
  outputs: StreamRecord[];
  duplicates: number;
  invalid: number;
}

/** At most this many checkpointed contexts are kept in memory; the rest are read back when needed. */
const CACHE_LIMIT = 10_000;

export class ConditionEngine {
  private readonly contexts: ContextStore;
  private readonly topics: StreamTopics;
  private readonly logger: EngineLogger;
  private readonly wheel: TimerWheel;
  /** Last checkpoint of each run this engine handled, in least-recently-used order. */
  private readonly cache = new LruMap<StoredContext>(CACHE_LIMIT);
  private subscription: Subscription | undefined;
  private leftoverCollection: Promise<void> | undefined;
  /** Counts for tests and benchmarks. */
  readonly stats = { events: 0, batches: 0, outputs: 0, duplicates: 0, invalid: 0, rejected: 0 };

  constructor(private readonly options: ConditionEngineOptions) {
    this.topics = options.topics ?? DEFAULT_TOPICS;
    this.logger = options.logger ?? silentLogger;
    this.contexts = new ContextStore(options.store, {
      onGarbageError: (runId, error) => this.logger.warn({ runId, err: ensureError(error).message }, 'chunks of a finished run context left behind'),
    });
    this.wheel = new TimerWheel(
      (runId, timer) => this.fireTimer(runId, timer),
      (error) => this.logger.warn({ err: ensureError(error).message }, 'timer event not produced; retrying'),
      options.now,
    );
  }

  async start(): Promise<void> {
    this.subscription = await this.options.stream.subscribe({
      topic: this.topics.completions,
      group: this.options.group ?? DEFAULT_GROUPS.conditionEngine,
      consumer: this.options.consumer ?? `${hostname()}-${process.pid}-condition`,
      handler: (batch) => this.handleBatch(batch),
      onAssignment: (partitions) => this.onAssignment(partitions),
      onError: (error) => this.logger.warn({ err: error.message }, 'condition engine batch will be delivered again'),
      ...(this.options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.options.sessionTimeoutMs } : {}),
    });
    this.wheel.start(this.options.timerResolutionMs);
    // Chunks a previous engine left when it died between finishing a run and deleting them: in the
    // background, since nothing reads them and a store with many running runs takes a while to list.
    this.leftoverCollection = this.contexts.collectLeftoverChunks()
      .then((found) => {
        if (found.removed > 0) this.logger.info({ ...found }, 'deleted the context chunks of finished runs left behind');
      })
      .catch((error: unknown) => this.logger.warn({ err: ensureError(error).message }, 'could not collect context chunks left behind'));
  }

  /** Stops after the batch in progress (which is still checkpointed) and leaves the group. */
  async stop(): Promise<void> {
    this.wheel.stop();
    await this.subscription?.close();
    this.subscription = undefined;
    await this.leftoverCollection;
  }

  /** Partitions of the completion topic this engine owns right now. */
  assignedPartitions(): readonly number[] {
    return this.subscription?.assignedPartitions() ?? [];
  }

  private async handleBatch(batch: EventBatch): Promise<void> {
    this.stats.batches += 1;
    const { byRun, rejected } = this.groupByRun(batch);
    if (rejected.length > 0) await this.recordRejected(rejected);
    const work = await Promise.all([...byRun].map(([runId, inputs]) => this.applyRun(runId, inputs, batch.partition)));
    const changed = work.filter((item) => item.changed);
    if (changed.length === 0) return;

    const outputs = work.flatMap((item) => item.outputs);
    if (outputs.length > 0) await this.options.stream.produceBatch(this.topics.orchestration, outputs);
    this.stats.outputs += outputs.length;
    await batch.heartbeat();

    try {
      // The heads of new runs first, so that `status` finds a run while its first checkpoint is
      // written. A run's `logs` are derived from its checkpoint (run-view-source.ts).
      await Promise.all(changed.filter((item) => !item.previous).map((item) => createRunHead(this.options.store, startedHead((item.context as StreamRunContext).state))));
      const saved = await Promise.all(changed.map(async (item) => {
        const context = item.context as StreamRunContext;
        await this.recordRunFinished(item.previous, context);
        return this.contexts.save(context, item.previous);
      }));
      for (const stored of saved) this.remember(stored);
    } catch (error) {
      // Another engine advanced one of these runs (a rebalance): forget what we knew and let the
      // batch come again, to be applied to the newer checkpoint.
      for (const item of changed) this.cache.delete(item.runId);
      if (hasErrorCode(error, 'STORE_CONFLICT')) this.logger.warn({ partition: batch.partition }, 'run context changed by another engine; batch will be applied again');
      throw error;
    }
  }

  private groupByRun(batch: EventBatch): { byRun: Map<string, ConditionInput[]>; rejected: { input: ConditionInput; reason: string }[] } {
    const byRun = new Map<string, ConditionInput[]>();
    const rejected: { input: ConditionInput; reason: string }[] = [];
    for (const delivered of batch.events) {
      this.stats.events += 1;
      let input: ConditionInput;
      try {
        input = parseConditionInput(delivered.event);
      } catch (error) {
        // A malformed event can never become valid: skip it rather than block the partition.
        this.stats.invalid += 1;
        this.logger.warn({ id: delivered.id, err: ensureError(error).message }, 'skipping an event that is not a whiskflow event');
        continue;
      }
      const refusal = this.refusalOf(input, delivered.event);
      if (refusal) {
        this.stats.rejected += 1;
        rejected.push({ input, reason: refusal });
        continue;
      }
      const inputs = byRun.get(input.data.runId) ?? [];
      inputs.push(input);
      byRun.set(input.data.runId, inputs);
    }
    return { byRun, rejected };
  }

  /**
   * Why a task event is refused, if it is: with an event key, a completion, failure or timeout must
   * carry the token of its run's task key, which only this deployment's engines (and the actions
   * they hand it to) have. Other inputs (starts, cancels, timers) are not task outcomes.
   */
  private refusalOf(input: ConditionInput, raw: unknown): string | undefined {
    const key = this.options.eventKey;
    if (!key || !TASK_EVENT_TYPES.has(input.type)) return undefined;
    const { runId, taskKey } = input.data as { runId: string; taskKey: string };
    const token = (raw as Record<string, unknown> | null)?.[TOKEN_ATTRIBUTE];
    return sameToken(taskKeyToken(key, runId, taskKey), token) ? undefined : `the ${input.type} of ${runId} task ${taskKey} does not carry that attempt's token`;
  }

  /** Counted where the run's status shows it (lib/store/rejected-events.ts); the run itself is untouched. */
  private async recordRejected(rejected: readonly { input: ConditionInput; reason: string }[]): Promise<void> {
    await Promise.all(rejected.map(({ input, reason }) => {
      this.logger.warn({ runId: input.data.runId, id: input.id, type: input.type, reason }, 'refused an event');
      return recordRejectedEvent(this.options.store, { runId: input.data.runId, eventId: input.id, eventType: input.type }, reason);
    }));
  }

  /** Applies one run's inputs in order; pure apart from loading the run's checkpoint. */
  private async applyRun(runId: string, inputs: readonly ConditionInput[], partition: number): Promise<RunWork> {
    const previous = this.cache.get(runId) ?? (await this.contexts.load(runId));
    let applied: AppliedRun;
    try {
      applied = await this.applyInputs(runId, previous, inputs, partition, true);
    } catch (error) {
      if (!isRejectedInput(error)) throw error;
      // Applied in place, the rejected event may have left the run's state half-written: start over
      // from the checkpoint, copying the state per event, and skip what is rejected.
      applied = await this.applyInputs(runId, previous, inputs, partition, false);
    }
    this.stats.duplicates += applied.duplicates;
    this.stats.invalid += applied.invalid;
    const { context, changed, outputs } = applied;
    if (!changed || !context) return { runId, previous, context, changed, outputs };
    const known = context.stageVisits;
    const stageVisits = numberStageVisits(previous?.state, context.state, known ?? {});
    return { runId, previous, context: stageVisits === known ? context : { ...context, stageVisits }, changed, outputs };
  }

  /**
   * Applies `inputs` to the checkpoint `previous`. The first change copies the checkpoint's state;
   * every later one writes into that copy, which nothing else holds (`inPlace`). In place, an input
   * the run rejects is thrown rather than skipped, so that the caller can start over copying.
   */
  private async applyInputs(runId: string, previous: StoredContext | undefined, inputs: readonly ConditionInput[], partition: number, inPlace: boolean): Promise<AppliedRun> {
    let context: StreamRunContext | undefined = previous ? withoutDocFields(previous) : undefined;
    const outputs: StreamRecord[] = [];
    const run: AppliedRun = { context, changed: false, outputs, duplicates: 0, invalid: 0 };
    const options = { completionTopic: this.topics.completions, ownsState: false };
    for (const input of inputs) {
      let applied: Applied;
      try {
        applied = context ? applyInput(context, input, options) : await this.applyFirst(input, partition, options);
      } catch (error) {
        // An event the run's workflow rejects (e.g. a task key that does not parse) is rejected the
        // same way on every redelivery: skip it, or it would block its partition for ever. Anything
        // else (the store, a bug) fails the batch, which is then delivered again.
        if (inPlace || !isRejectedInput(error)) throw error;
        run.invalid += 1;
        this.logger.warn({ runId, eventId: input.id, err: ensureError(error).message }, 'skipping an event the run cannot apply');
        continue;
      }
      if (applied.kind === 'unchanged') {
        run.duplicates += 1;
        continue;
      }
      run.changed = true;
      context = applied.context;
      // Owned once a transition copied the checkpoint's state (a timer that only left the state as
      // it was still shares it with the checkpoint, which must stay intact for a redelivery).
      options.ownsState = inPlace && context.state !== previous?.state;
      for (const event of applied.outputs) outputs.push({ key: runId, event: toStreamJson(event) });
    }
    run.context = context;
    return run;
  }

  /** The first input of a run this engine has no checkpoint of: only its `run.started` applies. */
  private async applyFirst(input: ConditionInput, partition: number, options: ApplyOptions): Promise<Applied> {
    if (input.type !== EVENT_TYPES.runStarted) return { kind: 'unchanged', reason: `run ${input.data.runId} is unknown` };
    const workflow = await this.options.workflows.compiled(input.data.workflow);
    if (!workflow) {
      await this.recordUnknownWorkflow(input.data.runId, input.data.workflow, input.data.input, input.time);
      return { kind: 'unchanged', reason: `workflow ${input.data.workflow} is unknown` };
    }
    const triggers = (this.options.triggers ?? []).filter((trigger) => trigger.workflow === workflow.name);
    return applyStart(undefined, input, { workflow, triggers, partition }, options);
  }

  private async recordRunFinished(previous: StoredContext | undefined, context: StreamRunContext): Promise<void> {
    const end = runEndOf(context.state);
    if (end && (previous?.state.status ?? 'running') === 'running') {
      await endRunHead(this.options.store, context.state.runId, end, Date.parse(context.state.finishedAt ?? context.state.updatedAt));
    }
  }

  /** A start for a workflow nobody knows ends at once, visibly, instead of being dropped. */
  private async recordUnknownWorkflow(runId: string, workflow: string, input: RunDoc['input'], time: string): Promise<void> {
    this.logger.warn({ runId, workflow }, 'run.started names a workflow this engine does not know');
    await createRunHead(this.options.store, refusedStartHead({ runId, workflow, input }, {
      error: 'whiskflow.UnknownWorkflow', cause: `workflow '${workflow}' is neither given to the engine (--workflow) nor deployed`,
    }, Date.parse(time)));
  }

  private remember(stored: StoredContext): void {
    this.cache.set(stored.runId, stored);
    this.wheel.sync(stored.runId, stored.timers);
  }

  /** New partitions may carry runs another engine checkpointed: forget the cache, re-arm their timers. */
  private onAssignment(partitions: readonly number[]): void {
    this.cache.clear();
    this.wheel.clear();
    if (partitions.length === 0) return;
    this.contexts.withTimers(partitions).then((contexts) => {
      // A batch handled meanwhile synced a newer checkpoint of its runs: keep that one.
      for (const context of contexts) this.wheel.syncIfUnknown(context.runId, context.timers);
    }).catch((error: unknown) => this.logger.error({ err: ensureError(error).message }, 'could not load the timers of newly assigned runs'));
  }

  private async fireTimer(runId: string, timer: Timer): Promise<void> {
    const now = new Date((this.options.now ?? Date.now)()).toISOString();
    const event = timerFired({ runId, timerId: timer.id, time: now });
    await this.options.stream.produce(this.topics.completions, runId, [toStreamJson(event)]);
  }
}

function withoutDocFields(stored: StoredContext): StreamRunContext {
  const { _id, _rev, ...context } = stored;
  return context;
}

/** Errors an event earns by its content, the same on every redelivery (unlike the store's or a bug's). */
function isRejectedInput(error: unknown): boolean {
  return hasErrorCode(error, 'INVALID_INPUT') || hasErrorCode(error, 'INVALID_WORKFLOW');
}
