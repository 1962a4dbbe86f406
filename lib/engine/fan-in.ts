/**
 * The partitioned form of a map's fan-in, for stores with optimistic concurrency (CouchDB): instead
 * of every element completion updating the one run document (1,000 writers → constant 409s), each
 * element's final outcome is a create-only *result document*, and the join is decided by counting
 * them. Every id is derived, so a second writer of the same fact gets a 409 and stops:
 *
 *   result doc      `<runId>:result:<stageId>:<seq>:<index>`      one per element (any attempt)
 *   attempt claim   `<runId>:attempt:<stageId>:<seq>:<index>:<n>` one per retry attempt started
 *   transition doc  `<runId>:transition:<stageId>:<seq>`          one per stage visit: the join fired
 *
 * These functions only compute; the store-side code does the writes in the order described in
 * docs/exactly-once.md and then calls `advance` with `joinResults`' outcome.
 */
import { parseTaskKey, type TaskKey } from '../events/task-key';
import type { RunError, TaskEvent } from '../events/types';
import type { CompiledWorkflow, FanOutStep } from '../model/compile';
import type { Json } from '../model/json';
import { startAttempt } from './attempts';
import { actionParams } from './data-flow';
import { Draft } from './draft';
import type { Effect } from './effects';
import { retryDelayMs, shouldRetry } from './retry';
import type { RunState } from './run-state';
import { threadAt } from './steps';
import { taskOutcomeOf } from './tasks';

/** Id of the create-only document holding the final outcome of the slot of `taskKey` (attempt ignored). */
export function resultDocId(runId: string, taskKey: string): string {
  const key = parseTaskKey(taskKey);
  return `${resultDocPrefix(runId, key.stageId, key.seq)}${key.index}`;
}

/** Every result doc of one stage visit starts with this; `_all_docs?startkey=p&endkey=p\ufff0` lists them. */
export function resultDocPrefix(runId: string, stageId: string, seq: number): string {
  return `${runId}:result:${stageId}:${seq}:`;
}

/** Id of the create-only document whose writer alone advances the run past this stage visit. */
export function transitionDocId(runId: string, stageId: string, seq: number): string {
  return `${runId}:transition:${stageId}:${seq}`;
}

/** Id of the create-only claim that attempt `key.attempt` of a slot has been started. */
export function attemptClaimId(runId: string, key: TaskKey): string {
  return `${runId}:attempt:${key.stageId}:${key.seq}:${key.index}:${key.attempt}`;
}

/** One element's final outcome, as stored. */
export interface ResultDoc {
  _id: string;
  kind: 'whiskflow.result';
  runId: string;
  stageId: string;
  seq: number;
  index: number;
  taskKey: string;
  time: string;
  status: 'succeeded' | 'failed';
  result?: Json;
  error?: RunError;
  activationId?: string;
}

/** The stage visit a set of result docs belongs to, and how many elements it has. */
export interface FanInSlot {
  stageId: string;
  seq: number;
  expected: number;
}

export type FanInPlan =
  /** Not an element of a map parked in this state: apply the event with `transition` instead. */
  | { kind: 'not-fan-in' }
  /** Stale or not actionable (e.g. a failure with no retry left is a `record`, not this). */
  | { kind: 'ignore'; reason: string }
  /**
   * Retry: create `claimId` (409: someone else did, stop) and, unless `unlessExists` exists (the
   * slot was filled meanwhile), perform `effects`.
   */
  | { kind: 'retry'; claimId: string; unlessExists: string; effects: Effect[] }
  /**
   * Final outcome: create `doc` (409: a duplicate, stop); then perform `effects` (the next element
   * of a concurrency-bounded map), list the docs of `slot` and decide with `joinResults`.
   */
  | { kind: 'record'; doc: ResultDoc; effects: Effect[]; slot: FanInSlot };

/**
 * What one task event means for a map in the partitioned form. Reads `state` (to find the parked
 * map, its items and policy) but never changes it: the run document is not written per element.
 */
export function planFanInEvent(workflow: CompiledWorkflow, state: RunState, event: TaskEvent): FanInPlan {
  const key = parseTaskKey(event.data.taskKey);
  const step = workflow.steps[key.stageId];
  if (!step || step.kind !== 'fan-out') return { kind: 'not-fan-in' };
  if (state.status !== 'running') return { kind: 'ignore', reason: `run is ${state.status}` };
  const draft = new Draft(workflow, state, event.time);
  const parked = threadAt(draft, key.stageId, key.seq);
  if (!parked || parked.wait.kind !== 'fan-out') return { kind: 'ignore', reason: `${key.stageId} visit ${key.seq} is not waiting` };
  const wait = parked.wait;
  if (key.index >= wait.items.length) return { kind: 'ignore', reason: `element ${key.index} does not exist` };
  const outcome = taskOutcomeOf(event);
  const doc: ResultDoc = {
    _id: resultDocId(state.runId, event.data.taskKey),
    kind: 'whiskflow.result',
    runId: state.runId,
    stageId: key.stageId,
    seq: key.seq,
    index: key.index,
    taskKey: event.data.taskKey,
    time: event.time,
    status: outcome.kind === 'completed' ? 'succeeded' : 'failed',
  };
  if (outcome.activationId !== undefined) doc.activationId = outcome.activationId;
  if (outcome.kind === 'failed' && shouldRetry(step.retry, key.attempt, outcome.error.error) && step.retry) {
    const next = { ...key, attempt: key.attempt + 1 };
    startElementAttempt(draft, step, wait.items, next, retryDelayMs(step.retry, key.attempt));
    return { kind: 'retry', claimId: attemptClaimId(state.runId, next), unlessExists: doc._id, effects: draft.effects };
  }
  if (outcome.kind === 'completed') doc.result = outcome.result;
  else doc.error = { ...outcome.error, cause: `element ${key.index}: ${outcome.error.cause ?? outcome.error.error}` };
  const successor = key.index + wait.concurrency;
  if (successor < wait.items.length) startElementAttempt(draft, step, wait.items, { ...key, index: successor, attempt: 1 }, 0);
  return { kind: 'record', doc, effects: draft.effects, slot: { stageId: key.stageId, seq: key.seq, expected: wait.items.length } };
}

export type JoinOutcome =
  | { status: 'waiting'; arrived: number; expected: number }
  | { status: 'succeeded'; results: Json[] }
  /** Fail fast: decided by the first failed element (lowest index among those stored). */
  | { status: 'failed'; error: RunError };

/**
 * Decide a fan-in from the result docs listed so far. Docs of other visits and repeated indexes
 * are ignored, so a sloppy listing cannot fire the join early.
 */
export function joinResults(slot: FanInSlot, docs: readonly ResultDoc[]): JoinOutcome {
  const byIndex = new Map<number, ResultDoc>();
  for (const doc of docs) {
    if (doc.stageId !== slot.stageId || doc.seq !== slot.seq || doc.index < 0 || doc.index >= slot.expected) continue;
    if (!byIndex.has(doc.index)) byIndex.set(doc.index, doc);
  }
  const failed = [...byIndex.values()].filter((doc) => doc.status === 'failed').sort((a, b) => a.index - b.index)[0];
  if (failed) return { status: 'failed', error: failed.error ?? { error: 'whiskflow.ActionFailed', stageId: slot.stageId, taskKey: failed.taskKey } };
  if (byIndex.size < slot.expected) return { status: 'waiting', arrived: byIndex.size, expected: slot.expected };
  return { status: 'succeeded', results: Array.from({ length: slot.expected }, (_, index) => byIndex.get(index)?.result ?? null) };
}

/** `joinResults`' decision as the outcome `advance` takes (only for a decided join). */
export function stageOutcomeOf(outcome: Exclude<JoinOutcome, { status: 'waiting' }>): { status: 'succeeded'; result: Json } | { status: 'failed'; error: RunError } {
  return outcome.status === 'succeeded' ? { status: 'succeeded', result: outcome.results } : outcome;
}

function startElementAttempt(draft: Draft, step: FanOutStep, items: Json[], key: TaskKey, delayMs: number): void {
  const item = items[key.index];
  if (item === undefined) return;
  startAttempt(draft, step, key, actionParams(item, step.params), delayMs);
}
