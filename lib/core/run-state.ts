/**
 * The state of one run: plain JSON, so a store can keep it as one document and an action can carry it.
 *
 * A run advances in *threads*: the root scope, plus one child thread per branch of a running
 * parallel stage. Each thread is parked at exactly one stage that waits for something outside
 * (a task, a map's elements, its branches); choice, succeed and fail never wait.
 */
import type { JoinContext } from '../conditions/join';
import type { RunError } from '../events/types';
import type { Json, JsonObject } from '../model/json';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunState {
  runId: string;
  workflow: { name: string; version: string };
  status: RunStatus;
  input: Json;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** Active threads by id (`root`, `root/<forkStage>.<seq>.<branch>`, ...). Empty once finished. */
  threads: Record<string, Thread>;
  /** How many times each stage was entered; the current count is the `seq` in its task keys. */
  visits: Record<string, number>;
  /** Every task attempt started, by task key. */
  tasks: Record<string, TaskRecord>;
  /** Ids of the events already applied: a redelivered event changes nothing. Appended only through `rememberSeen` (seen-events.ts), which keeps its lookup index in step. */
  seenEventIds: string[];
  result?: Json;
  error?: RunError;
}

export interface Thread {
  id: string;
  /** Where this thread's result goes when its scope ends; absent for the root. */
  parent?: { threadId: string; stageId: string; seq: number; branch: number };
  /** The stage this thread is parked at, and which visit of it. */
  stageId: string;
  seq: number;
  /** The data as the stage received it (before its `input` selection). */
  data: Json;
  wait: Wait;
  /** Latest results of map/parallel stages in this scope, for a `reduce` that names them. */
  joins: Record<string, Json[]>;
}

export type Wait = TaskWait | FanOutWait | ForkWait | TimerWait;

/** A wait stage: its timer's `task.completed` (slot 0) wakes it at `due` (ISO). */
export interface TimerWait {
  kind: 'timer';
  due: string;
}

/** A task or reduce: one slot (index 0). */
export interface TaskWait {
  kind: 'task';
  attempt: number;
  /** Kept for retries, which send the same parameters again. */
  params: JsonObject;
}

/** A map: one slot per element; element i+concurrency starts when element i is resolved. */
export interface FanOutWait {
  kind: 'fan-out';
  items: Json[];
  concurrency: number;
  join: JoinContext;
  /** Current attempt by element index (as a string key); absent: not started yet. */
  attempts: Record<string, number>;
}

/** A parallel: one slot per branch, filled when that branch's thread ends. */
export interface ForkWait {
  kind: 'fork';
  join: JoinContext;
}

export interface TaskRecord {
  taskKey: string;
  stageId: string;
  action: string;
  status: 'started' | 'succeeded' | 'failed' | 'timed-out';
  startedAt: string;
  endedAt?: string;
  activationId?: string;
  error?: RunError;
}

export const ROOT_THREAD = 'root';

export function createRunState(args: { runId: string; workflow: { name: string; version: string }; input: Json; time: string }): RunState {
  return {
    runId: args.runId,
    workflow: args.workflow,
    status: 'running',
    input: args.input,
    startedAt: args.time,
    updatedAt: args.time,
    threads: {},
    visits: {},
    tasks: {},
    seenEventIds: [],
  };
}

/**
 * The state with the activation id an invoke was given (non-blocking invokes answer 202 with it),
 * so a running task can be looked up before it completes. Unknown task keys leave the state as is.
 */
export function recordActivationId(state: RunState, taskKey: string, activationId: string): RunState {
  const record = state.tasks[taskKey];
  if (!record || record.activationId === activationId) return state;
  return { ...state, tasks: { ...state.tasks, [taskKey]: { ...record, activationId } } };
}
