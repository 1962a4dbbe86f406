/**
 * The bare core as a conformance runtime: `startRun`/`transition` applied directly, effects
 * performed at once (a retry's backoff is not waited for; a timer fires when the driver says the
 * attempt timed out). The reference the other two are held to, checked against the same cases.
 */
import { runStarted, taskCompleted, taskFailed } from '../../lib/events/build';
import { taskErrorFromResult } from '../../lib/events/activation';
import type { WhiskflowEvent } from '../../lib/events/types';
import type { AwaitEventEffect, Effect, InvokeEffect, ScheduleTimeoutEffect, ScheduleWakeEffect } from '../../lib/core/effects';
import { eventDelivered } from '../../lib/core/await';
import type { RunState } from '../../lib/core/run-state';
import { startRun, transition } from '../../lib/core/transition';
import { compileWorkflow, type CompiledWorkflow } from '../../lib/model/compile';
import type { Json } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { parseTaskKey } from '../../lib/events/task-key';
import type { Delivery, Runtime, ScriptedEvent, Settled, StartedTask } from './runtime';

const RUN_ID = 'conformance-1';
const TIME = '2026-01-01T00:00:00.000Z';

export class CoreRuntime implements Runtime {
  readonly name = 'core';
  private workflow: CompiledWorkflow | undefined;
  private state: RunState | undefined;
  private readonly invokes: InvokeEffect[] = [];
  private readonly timers = new Map<string, ScheduleTimeoutEffect>();
  /** Wait stages' timers, fired once nothing else is left to deliver. */
  private readonly wakes: ScheduleWakeEffect[] = [];
  /** Event stages' waits entered, in order. */
  private readonly awaits: AwaitEventEffect[] = [];
  /**
   * The meaning of event delivery, written out plainly (the runtimes share lib/store/event-mailbox.ts):
   * every event received is kept once by id; a wait takes the earliest kept event of its type and key
   * that no wait took, when it is entered or when the event arrives; a wait is open while its slot
   * is unfilled and the run goes on.
   */
  private readonly received: ScriptedEvent[] = [];
  private readonly takenBy = new Map<string, string>();

  async start(workflow: Workflow, input: Json): Promise<void> {
    this.workflow = compileWorkflow(workflow);
    const started = startRun(this.workflow, runStarted({ runId: RUN_ID, workflow: workflow.name, input, time: TIME }));
    this.state = started.state;
    this.perform(started.effects);
  }

  async settle(handled: ReadonlySet<string>): Promise<Settled> {
    const tasks = this.invokes.map((invoke): StartedTask => ({
      id: invoke.taskKey, taskKey: invoke.taskKey, stageId: invoke.stageId, action: invoke.action, params: invoke.params, attempt: parseTaskKey(invoke.taskKey).attempt,
      ...(invoke.callback ? { callback: true } : {}),
    }));
    const state = this.state as RunState;
    if (state.status === 'succeeded') return { tasks, end: { status: 'succeeded', result: state.result ?? null } };
    if (state.status !== 'running') {
      const error = state.error;
      return { tasks, end: { status: 'failed', error: { error: error?.error ?? 'unknown', ...(error?.stageId ? { stageId: error.stageId } : {}), ...(error?.cause ? { cause: error.cause } : {}) } } };
    }
    if (tasks.some((task) => !handled.has(task.id))) return { tasks };
    const wake = this.wakes.shift();
    if (wake) {
      this.apply(wake.event);
      return this.settle(handled);
    }
    if (this.openAwaits().length > 0) return { tasks, waitingForEvent: true };
    return { tasks, end: { status: 'stuck', detail: 'run is still running and nothing is left to deliver' } };
  }

  async deliver(task: StartedTask, delivery: Delivery): Promise<void> {
    const base = { runId: RUN_ID, taskKey: task.id, activationId: `activation-${task.id}`, time: TIME };
    if (delivery === 'timeout') {
      const timer = this.timers.get(task.id);
      if (timer) this.apply(timer.event);
    } else if ('result' in delivery) this.apply(taskCompleted({ ...base, result: delivery.result }));
    else this.apply(taskFailed({ ...base, error: taskErrorFromResult({ error: delivery.error }) }));
  }

  async sendEvent(_workflow: string, event: ScriptedEvent): Promise<void> {
    // A duplicate (same id) changes nothing: the first delivery stands.
    if (this.received.some((kept) => kept.id === event.id)) return;
    this.received.push(event);
    const wait = this.openAwaits().find((open) => open.eventType === event.type && open.key === event.key);
    if (wait) this.take(wait, event);
  }

  async expireWait(): Promise<void> {
    for (const wait of this.openAwaits()) {
      const timer = this.timers.get(wait.taskKey);
      if (timer) this.apply(timer.event);
    }
  }

  async pendingEvents(): Promise<string[]> {
    return this.received.filter((event) => !this.takenBy.has(event.id)).map((event) => event.id).sort();
  }

  async close(): Promise<void> {}

  private openAwaits(): AwaitEventEffect[] {
    const state = this.state;
    if (state?.status !== 'running') return [];
    return this.awaits.filter((wait) => state.tasks[wait.taskKey]?.status === 'started');
  }

  private take(wait: AwaitEventEffect, event: ScriptedEvent): void {
    this.takenBy.set(event.id, wait.taskKey);
    this.apply(eventDelivered(RUN_ID, wait.taskKey, { id: event.id, type: event.type, key: event.key, data: event.data, time: TIME }));
  }

  private apply(event: WhiskflowEvent): void {
    const next = transition(this.workflow as CompiledWorkflow, this.state as RunState, event);
    this.state = next.state;
    this.perform(next.effects);
  }

  private perform(effects: readonly Effect[]): void {
    for (const effect of effects) {
      if (effect.kind === 'invoke') this.invokes.push(effect);
      else if (effect.kind === 'schedule-timeout') this.timers.set(effect.taskKey, effect);
      else if (effect.kind === 'retry-after') this.perform(effect.then);
      else if (effect.kind === 'schedule-wake') this.wakes.push(effect);
      else if (effect.kind === 'await-event') {
        this.awaits.push(effect);
        const kept = this.received.find((event) => !this.takenBy.has(event.id) && event.type === effect.eventType && event.key === effect.key);
        if (kept) this.take(effect, kept);
      }
    }
  }
}
