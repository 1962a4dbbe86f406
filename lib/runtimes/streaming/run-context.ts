/**
 * What the Condition Engine keeps per run, checkpointed as one document before the events that
 * produced it are acknowledged: the run state of the pure transition, the compiled workflow it was
 * started with (a redeploy does not change running runs), durable timers and stream triggers.
 */
import type { WhiskflowEvent } from '../../events/types';
import type { CompiledWorkflow } from '../../model/compile';
import type { RunState } from '../../core/run-state';
import type { InvokeEffect, ScheduleTimeoutEffect } from '../../core/effects';
import type { StageVisits } from './stage-visits';
import type { TriggerState } from './triggers';

export interface StreamRunContext {
  type: 'stream-run';
  runId: string;
  workflow: CompiledWorkflow;
  state: RunState;
  /** Timers not yet applied, by id. A timer is applied once: applying it removes it. */
  timers: Record<string, Timer>;
  triggers: Record<string, TriggerState>;
  /** Partition the run's events arrive on, so an engine that takes the partition over re-arms its timers. */
  partition?: number;
  /** Numbering of the stage visits as `logs` shows them (stage-visits.ts); absent on contexts checkpointed before (their runs have `logs` documents). */
  stageVisits?: StageVisits;
}

/** A durable timer: when `due` has passed, the engine feeds `timer.fired` through the run's partition. */
export interface Timer {
  id: string;
  /** ISO time. */
  due: string;
  action: TimerAction;
}

export type TimerAction =
  /** A task's timeout: apply this `task.timed-out` event (ignored if the task finished meanwhile); a wait's wake-up: its `task.completed`. */
  | { kind: 'deliver'; event: WhiskflowEvent }
  /** A retry's backoff is over: perform its invoke (and timeout). */
  | { kind: 'perform'; effects: (InvokeEffect | ScheduleTimeoutEffect)[] }
  /** A trigger's deadline: show the triggers the time. */
  | { kind: 'tick' };

export const timerIds = {
  taskTimeout: (taskKey: string) => `timeout:${taskKey}`,
  retry: (taskKey: string) => `retry:${taskKey}`,
  wake: (taskKey: string) => `wake:${taskKey}`,
  trigger: (triggerId: string) => `trigger:${triggerId}`,
};

/** Document id of a run's context in the run store, next to the `run/<runId>` head. */
export function contextDocId(runId: string): string {
  return `stream/${runId}`;
}

export const CONTEXT_PREFIX = 'stream/';
