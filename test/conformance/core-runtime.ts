/**
 * The bare core as a conformance runtime: `startRun`/`transition` applied directly, effects
 * performed at once (a retry's backoff is not waited for; a timer fires when the driver says the
 * attempt timed out). The reference the other two are held to, checked against the same cases.
 */
import { runStarted, taskCompleted, taskFailed } from '../../lib/events/build';
import { taskErrorFromResult } from '../../lib/events/activation';
import type { WhiskflowEvent } from '../../lib/events/types';
import type { Effect, InvokeEffect, ScheduleTimeoutEffect, ScheduleWakeEffect } from '../../lib/core/effects';
import type { RunState } from '../../lib/core/run-state';
import { startRun, transition } from '../../lib/core/transition';
import { compileWorkflow, type CompiledWorkflow } from '../../lib/model/compile';
import type { Json } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { parseTaskKey } from '../../lib/events/task-key';
import type { Delivery, Runtime, Settled, StartedTask } from './runtime';

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

  async start(workflow: Workflow, input: Json): Promise<void> {
    this.workflow = compileWorkflow(workflow);
    const started = startRun(this.workflow, runStarted({ runId: RUN_ID, workflow: workflow.name, input, time: TIME }));
    this.state = started.state;
    this.perform(started.effects);
  }

  async settle(handled: ReadonlySet<string>): Promise<Settled> {
    const tasks = this.invokes.map((invoke): StartedTask => ({
      id: invoke.taskKey, taskKey: invoke.taskKey, stageId: invoke.stageId, action: invoke.action, params: invoke.params, attempt: parseTaskKey(invoke.taskKey).attempt,
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

  async close(): Promise<void> {}

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
    }
  }
}
