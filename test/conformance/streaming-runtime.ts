/**
 * The streaming engines as a conformance runtime: Condition Engine and Rule Engine over the
 * in-memory broker and store, every action self-reporting (the Rule Engine passes the task context,
 * which names stage and attempt; the driver produces the completion to the stream, so outcomes
 * arrive in the order it picks).
 *
 * Time is the driver's: the Condition Engine's clock and every event's time come from `clock`,
 * which advances a little at each poll (a retry's short backoff comes due) and by a task's whole
 * timeout when the driver says that attempt timed out. A timeout therefore never fires on its own
 * while the machine is slow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryBroker, MemoryEventStream, startStreamRun, startStreamingEngines, WorkflowCatalog, type StreamingEngines, type StreamTaskInvoker } from '../../lib/runtimes/streaming';
import { STREAM_TASK_PARAM, streamTaskOf, type StreamTaskContext } from '../../lib/runtimes/streaming/report';
import type { ActivationLike } from '../../lib/events/activation';
import { taskErrorFromResult } from '../../lib/events/activation';
import { taskCompleted, taskFailed } from '../../lib/events/build';
import { toStructuredJson } from '../../lib/events/cloudevent';
import { parseTaskKey } from '../../lib/events/task-key';
import { compileWorkflow, type CompiledWorkflow } from '../../lib/model/compile';
import type { Json, JsonObject } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { MemoryRunStore } from '../../lib/store/memory';
import { docIds, type RunDoc } from '../../lib/store/run-documents';
import { CALLBACK_TOKEN_PARAM } from '../../lib/events/callback-token';
import { completeCallback } from '../../lib/report/callback';
import { DEFAULT_TOPICS } from '../../lib/runtimes/streaming';
import { receiveStreamEvent } from '../../lib/runtimes/streaming/stream-waits';
import { eventsOf, eventsOfRun, type WaitRef } from '../../lib/store/event-mailbox';
import type { Delivery, RunEnd, Runtime, ScriptedEvent, Settled, StartedTask } from './runtime';

const RUN_ID = 'conformance-1';
const POLL_MS = 5;
/** Clock advance per poll: more than any case's retry backoff, far less than any case's timeout. */
const TICK_MS = 25;
/** Polls a batch of starts must stay unchanged before it is handed to the driver. */
const STABLE_POLLS = 3;
/** Without a new start or the run's end for this long, the run is reported stuck. */
const NO_PROGRESS_MS = 5_000;

interface Invocation {
  action: string;
  params: JsonObject;
  task: StreamTaskContext;
}

/** The platform at the Rule Engine's boundary: records invocations; the driver reports their outcomes. */
class RecordingPlatform implements StreamTaskInvoker {
  readonly invocations: Invocation[] = [];

  async invoke(action: string, params: JsonObject): Promise<string> {
    const task = streamTaskOf(params);
    if (!task) throw new Error(`invocation of ${action} without a task context`);
    const { [STREAM_TASK_PARAM]: _context, ...own } = params;
    this.invocations.push({ action, params: own, task });
    return `activation-${this.invocations.length}`;
  }

  async activation(): Promise<ActivationLike | undefined> {
    // Every action reports itself: no record is ever polled for.
    return undefined;
  }
}

export class StreamingRuntime implements Runtime {
  readonly name = 'streaming';
  private readonly store = new MemoryRunStore();
  private readonly stream = new MemoryEventStream(new MemoryBroker(2));
  private readonly platform = new RecordingPlatform();
  private engines: StreamingEngines | undefined;
  private compiled: CompiledWorkflow | undefined;
  private clock = Date.parse('2026-01-01T00:00:00.000Z');
  private workflow = '';
  /** Event waits (by task key) whose timeout the driver fired. */
  private readonly expired = new Set<string>();

  async start(workflow: Workflow, input: Json): Promise<void> {
    this.compiled = compileWorkflow(workflow);
    this.workflow = workflow.name;
    this.engines = await startStreamingEngines({
      stream: this.stream,
      store: this.store,
      invoker: this.platform,
      workflows: new WorkflowCatalog([workflow]),
      consumer: 'conformance',
      selfReporting: () => true,
      condition: { timerResolutionMs: POLL_MS, now: () => this.clock },
      rule: { pollIntervalMs: POLL_MS },
    });
    await startStreamRun(this.stream, { workflow: workflow.name, input, runId: RUN_ID, time: this.now() });
  }

  async settle(handled: ReadonlySet<string>): Promise<Settled> {
    const giveUpAt = Date.now() + NO_PROGRESS_MS;
    let seen = -1;
    let stable = 0;
    for (;;) {
      this.clock += TICK_MS;
      const tasks = this.tasks();
      const end = await this.end();
      if (end) return { tasks, end };
      if (tasks.some((task) => !handled.has(task.id))) {
        stable = tasks.length === seen ? stable + 1 : 0;
        seen = tasks.length;
        if (stable >= STABLE_POLLS) return { tasks };
      } else if ((await this.openWaits()).length > 0) {
        // Registered by the Rule Engine: the run waits on an event, and nothing else is left.
        stable = seen === -2 ? stable + 1 : 0;
        seen = -2;
        if (stable >= STABLE_POLLS) return { tasks, waitingForEvent: true };
      }
      if (Date.now() > giveUpAt) return { tasks, end: { status: 'stuck', detail: `no new task and no end within ${NO_PROGRESS_MS} ms` } };
      await sleep(POLL_MS);
    }
  }

  async deliver(task: StartedTask, delivery: Delivery): Promise<void> {
    const invocation = this.platform.invocations.find((candidate) => candidate.task.taskKey === task.id);
    if (!invocation) throw new Error(`no streaming invocation ${task.id}`);
    if (typeof invocation.params[CALLBACK_TOKEN_PARAM] === 'string' && delivery !== 'timeout') {
      // A callback task: its outcome is reported for its token, as `whiskflow complete` does.
      await completeCallback(String(invocation.params[CALLBACK_TOKEN_PARAM]), delivery, { stream: this.stream });
      return;
    }
    if (delivery === 'timeout') {
      // The Condition Engine's own timer fires once its clock passes the attempt's deadline.
      const step = this.compiled?.steps[task.stageId];
      const timeoutMs = step && (step.kind === 'invoke' || step.kind === 'fan-out') ? step.timeoutMs : undefined;
      if (timeoutMs !== undefined) this.clock += timeoutMs + 1;
      return;
    }
    const base = { runId: invocation.task.runId, taskKey: invocation.task.taskKey, activationId: `activation-${task.id}`, time: this.now() };
    // As the self-report API (lib/report `reportingAction`) reports an action's return value: an `error` field is a failure.
    const event = 'result' in delivery
      ? taskCompleted({ ...base, result: delivery.result })
      : taskFailed({ ...base, error: taskErrorFromResult({ error: delivery.error }) });
    await this.stream.produce(invocation.task.completionTopic, invocation.task.runId, [toStructuredJson(event)]);
  }

  async sendEvent(workflow: string, event: ScriptedEvent): Promise<void> {
    const external = { id: event.id, type: event.type, key: event.key, data: event.data, time: this.now() };
    await receiveStreamEvent(this.store, workflow, external, DEFAULT_TOPICS.completions, (topic, key, produced) => this.stream.produce(topic, key, [produced]), 'conformance');
  }

  async expireWait(): Promise<void> {
    for (const wait of await this.openWaits()) {
      this.expired.add(wait.taskKey ?? '');
      // The Condition Engine's timer fires once its clock passes the wait's deadline.
      const step = this.compiled?.steps[wait.stageId];
      if (step?.kind === 'await' && step.timeoutMs !== undefined) this.clock += step.timeoutMs + 1;
    }
  }

  async pendingEvents(): Promise<string[]> {
    return (await eventsOf(this.store, { workflow: this.workflow })).filter((event) => !event.consumedBy).map((event) => event.eventId).sort();
  }

  /** Event waits the run registered that no event resumed and no timeout ended. */
  private async openWaits(): Promise<WaitRef[]> {
    const waits = await eventsOfRun(this.store, RUN_ID);
    return waits.filter(({ wait, received }) => !received && !this.expired.has(wait.taskKey ?? '')).map(({ wait }) => wait);
  }

  async close(): Promise<void> {
    await this.engines?.stop();
    await this.stream.close();
  }

  private now(): string {
    return new Date(this.clock).toISOString();
  }

  private tasks(): StartedTask[] {
    return this.platform.invocations.map(({ action, params: withToken, task }): StartedTask => {
      // A callback task's token differs per runtime: the action's own parameters are compared.
      const { [CALLBACK_TOKEN_PARAM]: token, ...params } = withToken;
      return {
        id: task.taskKey, taskKey: task.taskKey, stageId: task.stageId, action, params, attempt: parseTaskKey(task.taskKey).attempt,
        ...(token !== undefined ? { callback: true } : {}),
      };
    });
  }

  private async end(): Promise<RunEnd | undefined> {
    const head = await this.store.get<RunDoc>(docIds.run(RUN_ID));
    if (!head || head.status === 'running') return undefined;
    if (head.status === 'succeeded') return { status: 'succeeded', result: head.output ?? null };
    const failure = head.failure;
    return { status: 'failed', error: { error: failure?.error ?? 'unknown', ...(failure?.stageId ? { stageId: failure.stageId } : {}), ...(failure?.cause ? { cause: failure.cause } : {}) } };
  }
}
