/**
 * The public face of the pure orchestration core, for the interpreters (native, streaming):
 * parse → compile once; then `startRun` / `transition` / `advance` per event; `fan-in` helpers for
 * stores that decide joins by counting create-only documents.
 */
export { parseWorkflow, toWorkflow } from '../model/parse';
export { compileWorkflow, stepOf, type CompiledWorkflow, type Step } from '../model/compile';
export type { Workflow, Stage } from '../model/workflow';
export type { Json, JsonObject } from '../model/json';
export { startRun, transition, CANCELLED_ERROR, MAX_SEEN_EVENT_IDS, type TransitionResult } from './transition';
export { advance, type StageOutcome } from './advance';
export {
  attemptClaimId,
  joinResults,
  planFanInEvent,
  resultDocId,
  resultDocPrefix,
  stageOutcomeOf,
  transitionDocId,
  type FanInPlan,
  type FanInSlot,
  type JoinOutcome,
  type ResultDoc,
} from './fan-in';
export type { Effect, EmitEffect, FinishEffect, InvokeEffect, RetryAfterEffect, ScheduleTimeoutEffect } from './effects';
export { recordActivationId, type RunState, type RunStatus, type TaskRecord, type Thread } from './run-state';
export { TIMEOUT_ERROR } from './tasks';
export * from '../events/types';
export * as events from '../events/build';
export { fromCloudEvent, toCloudEvent, toStructuredJson } from '../events/cloudevent';
export { taskEventFromActivation, taskErrorFromResult } from '../events/activation';
export { formatTaskKey, parseTaskKey, slotKey, type TaskKey } from '../events/task-key';
