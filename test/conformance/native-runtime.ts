/**
 * The native orchestrator as a conformance runtime: `handleEvent` over an in-memory store, driven
 * event by event as the platform would (task conductor completions, the timer action's
 * `task.timed-out`), with the unit tests' recording invoker.
 *
 * A bound on store writes stops a run that never ends inside one event (a loop of stages without
 * a task): the event's handling throws, and the run is reported `did-not-terminate`.
 */
import { handleEvent, type OrchestratorContext, type RunHead } from '../../lib/runtimes/native/orchestrator';
import type { OrchestratorEvent } from '../../lib/runtimes/native/events';
import type { TaskStart } from '../../lib/runtimes/native/invoker';
import type { Json, JsonObject } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { MemoryRunStore } from '../../lib/store/memory';
import type { CreateOutcome, CreateResult, NewDoc, ReplaceResult, StoredDoc } from '../../lib/store/run-store';
import { docIds, type InvokeDoc, type StageDoc, type WorkflowDoc } from '../../lib/store/run-documents';
import { RecordingInvoker } from '../helpers/native/recording-invoker';
import { eventsOf, eventsOfRun } from '../../lib/store/event-mailbox';
import type { Delivery, RunEnd, Runtime, ScriptedEvent, Settled, StartedTask } from './runtime';

const NAMESPACE = 'guest';
const RUN_ID = 'conformance-1';
/** Far more writes than any terminating case makes; a run past it is looping. */
const MAX_WRITES = 5_000;

class WriteBoundExceeded extends Error {
  constructor() {
    super(`more than ${MAX_WRITES} store writes for one run`);
  }
}

/** The in-memory store, counting writes and refusing them past the bound. */
class BoundedStore extends MemoryRunStore {
  writes = 0;

  private count(n: number): void {
    this.writes += n;
    if (this.writes > MAX_WRITES) throw new WriteBoundExceeded();
  }

  override async createOnly<T extends object>(id: string, body: T): Promise<CreateOutcome> {
    this.count(1);
    return super.createOnly(id, body);
  }

  override async createMany(docs: readonly NewDoc[]): Promise<CreateResult[]> {
    this.count(docs.length);
    return super.createMany(docs);
  }

  override async replace<T extends object>(doc: StoredDoc<T>): Promise<string> {
    this.count(1);
    return super.replace(doc);
  }

  override async replaceMany(docs: readonly StoredDoc<object>[]): Promise<ReplaceResult[]> {
    this.count(docs.length);
    return super.replaceMany(docs);
  }

  override async upsert<T extends object>(id: string, body: T): Promise<string> {
    this.count(1);
    return super.upsert(id, body);
  }
}

/** `/guest/double` → `double`, as written in the workflow. */
const unqualified = (action: string): string => action.replace(new RegExp(`^/${NAMESPACE}/`), '');
const attemptId = (start: TaskStart): string => `${start.context.runId}/${start.context.position}/${start.context.index}/${start.context.attempt}`;

export class NativeRuntime implements Runtime {
  readonly name = 'native';
  private readonly store = new BoundedStore();
  private readonly invoker = new RecordingInvoker();
  private activations = 0;
  private stopped: RunEnd | undefined;
  private workflow = '';
  /** Event waits (by seq) whose timeout the driver fired. */
  private readonly expired = new Set<number>();

  private context(): OrchestratorContext {
    return { store: this.store, invoker: this.invoker, namespace: NAMESPACE, activationId: `orchestrator-${++this.activations}` };
  }

  async start(workflow: Workflow, input: Json): Promise<void> {
    this.workflow = workflow.name;
    const doc: WorkflowDoc = { type: 'workflow', name: workflow.name, definition: workflow, trigger: `whiskflow-${workflow.name}`, selfReporting: [], deployedAt: 0 };
    await this.store.upsert(docIds.workflow(workflow.name), doc);
    await this.handle({ type: 'run.started', eventId: 'start', workflow: workflow.name, runId: RUN_ID, input });
  }

  async settle(handled: ReadonlySet<string>): Promise<Settled> {
    // Every handling completes before it returns: what it started is recorded already.
    const tasks = this.invoker.starts.map((start): StartedTask => ({
      id: attemptId(start), taskKey: start.context.taskKey ?? '', stageId: start.context.stageId, action: unqualified(start.action), params: start.params, attempt: start.context.attempt,
      ...(start.callback ? { callback: true } : {}),
    }));
    if (this.stopped) return { tasks, end: this.stopped };
    const head = await this.store.get<RunHead>(docIds.run(RUN_ID));
    if (head?.status === 'succeeded') return { tasks, end: { status: 'succeeded', result: head.output ?? null } };
    if (head?.status === 'failed' || head?.status === 'cancelled') {
      const failure = head.failure;
      return { tasks, end: { status: 'failed', error: { error: failure?.error ?? 'unknown', ...(failure?.stageId ? { stageId: failure.stageId } : {}), ...(failure?.cause ? { cause: failure.cause } : {}) } } };
    }
    if (tasks.some((task) => !handled.has(task.id))) return { tasks };
    if (head && await this.fireWait(head)) return this.settle(handled);
    if ((await this.openWaits()).length > 0) return { tasks, waitingForEvent: true };
    return { tasks, end: { status: 'stuck', detail: `run ${head ? 'is still running' : 'has no head'} and nothing is left to deliver` } };
  }

  async deliver(task: StartedTask, delivery: Delivery): Promise<void> {
    const start = this.invoker.starts.find((candidate) => attemptId(candidate) === task.id);
    if (!start) throw new Error(`no native start ${task.id}`);
    const common = { eventId: task.id, task: start.context, activationId: `activation-${task.id}` };
    if (delivery === 'timeout') {
      const timeoutMs = await this.armedTimeout(start.context);
      if (timeoutMs !== undefined) await this.handle({ type: 'task.timed-out', eventId: `${task.id}/timed-out`, task: start.context, timeoutMs });
    } else if ('result' in delivery) {
      await this.handle({ ...common, type: 'task.completed', result: delivery.result });
    } else {
      // The task conductor fires the action's `error` field as the failure.
      await this.handle({ ...common, type: 'task.failed', error: delivery.error as JsonObject });
    }
  }

  async sendEvent(workflow: string, event: ScriptedEvent): Promise<void> {
    // As a CloudEvent of another type fired into the workflow's trigger arrives (events.ts).
    await this.handle({ type: 'external', eventId: event.id, workflow, event: { id: event.id, type: event.type, key: event.key, data: event.data, time: new Date().toISOString() } });
  }

  async expireWait(): Promise<void> {
    for (const wait of await this.openWaits()) {
      this.expired.add(wait.position);
      // The wait's one attempt (event-waits.ts), as the timer or the sweep fires its timeout.
      const task = { runId: RUN_ID, workflow: wait.workflow, position: wait.position, index: 0, attempt: 1, trigger: wait.trigger ?? '', stageId: wait.stageId };
      const timeoutMs = await this.armedTimeout(task);
      if (timeoutMs !== undefined) await this.handle({ type: 'task.timed-out', eventId: `${RUN_ID}/${wait.position}/timed-out`, task, timeoutMs });
    }
  }

  async pendingEvents(): Promise<string[]> {
    return (await eventsOf(this.store, { workflow: this.workflow })).filter((event) => !event.consumedBy).map((event) => event.eventId).sort();
  }

  async close(): Promise<void> {}

  /** Event waits the run registered that no event resumed and no timeout ended. */
  private async openWaits() {
    const head = await this.store.get<RunHead>(docIds.run(RUN_ID));
    if (head?.status !== 'running') return [];
    const waits = await eventsOfRun(this.store, RUN_ID);
    return waits.filter(({ wait, received }) => !received && !this.expired.has(wait.position)).map(({ wait }) => wait);
  }

  /**
   * The timeout the platform would fire for an attempt, if any: the timer action's when the
   * orchestrator armed one, else the durable deadline kept on the attempt's claim, which the sweep
   * fires once due (due-attempts.ts).
   */
  private async armedTimeout(context: TaskStart['context']): Promise<number | undefined> {
    const armed = this.invoker.timeouts.find((timer) => timer.context.position === context.position && timer.context.index === context.index && timer.context.attempt === context.attempt);
    if (armed) return armed.timeoutMs;
    const claim = await this.store.get<InvokeDoc>(docIds.invoke(RUN_ID, context.position, context.index, context.attempt));
    return claim?.deadline !== undefined ? claim.timeoutMs ?? 0 : undefined;
  }

  /** A run parked at a wait: its timer's completion, as the sweep fires it when due (waits.ts). */
  private async fireWait(head: RunHead): Promise<boolean> {
    const [current] = await this.store.listByPrefix<StageDoc>(docIds.stagesPrefix(RUN_ID), { includeDocs: true, descending: true, limit: 1 });
    const stage = current?.doc;
    if (!stage || stage.end || stage.wakeAt === undefined) return false;
    const task = { runId: RUN_ID, workflow: head.workflow, position: stage.position, index: 0, attempt: 1, trigger: head.trigger, stageId: stage.stageId };
    await this.handle({ type: 'task.completed', eventId: `wake-${stage.position}`, task, result: null });
    return true;
  }

  private async handle(event: OrchestratorEvent): Promise<void> {
    if (this.stopped) return;
    try {
      await handleEvent(this.context(), event);
    } catch (error) {
      if (!(error instanceof WriteBoundExceeded)) throw error;
      this.stopped = { status: 'did-not-terminate', detail: error.message };
    }
  }
}
