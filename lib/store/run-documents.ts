/**
 * The documents one workflow run leaves in the store, and their ids.
 *
 * Ids are built so that everything of one stage sorts together (`_all_docs` key ranges) and so that
 * each exactly-once decision has one fixed id that only one writer can create:
 * - `run/<runId>`                               the run head (status, input, output, error)
 *   (a parallel branch of several stages runs as a child run `<runId>.s<position>b<index>a<attempt>`,
 *   see `docIds.childRun`, with documents of its own under the same patterns)
 * - `stage/<runId>/<position>`                       claim of the position-th transition: which stage runs, on what data
 * - `invoke/<runId>/<position>/<index>/<attempt>`    claim of one task attempt, then its activation id
 * - `result/<runId>/<position>/<bucket>/<index>`     the first final outcome of task `index` of that stage
 * - `joined/<runId>/<position>/<bucket>`             marks a bucket of results complete (two-level join)
 * - `workflow/<name>`                           a deployed definition
 * Numbers are zero-padded so that string order is numeric order.
 *
 * Results are grouped in buckets of about sqrt(taskCount) tasks so that a join check reads
 * O(sqrt(n)) keys, not O(n): a completion counts its bucket, marks it joined when full, and counts
 * the joined markers. (A plain count of n result ids per completion made fan-ins of 1,000 tasks
 * quadratic on pouchdb-server, where `skip` walks the keys.)
 */
import type { Json } from '../model/json';
import type { Workflow } from '../model/workflow';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What went wrong, in a shape users can act on: which stage, which activation, why. */
export interface RunFailure {
  /** Error name, e.g. `whiskflow.InvalidInput`, `whiskflow.Timeout` or the action's error name. */
  error: string;
  cause: string;
  stageId?: string;
  /** Activation that failed (task conductor or orchestrator activation). */
  activationId?: string;
}

export interface RunDoc {
  type: 'run';
  runId: string;
  workflow: string;
  input: Json;
  status: RunStatus;
  startedAt: number;
  endedAt?: number;
  output?: Json;
  failure?: RunFailure;
  /** Orchestrator activation that started the run. */
  startedBy?: string;
  /** Present on a child run (a parallel branch of several stages): the parent's task it runs as. */
  parent?: TaskAttempt;
}

/**
 * The run a start that names no run (a plain payload, a feed's event) started, under the start's key
 * (`startKeys` in lib/runtimes/native/events.ts). Created once, before the run head: a second handler
 * of the same start (the sweep's fire again, a slow original) reads the run id from it.
 */
export interface StartDoc {
  type: 'start';
  startKey: string;
  runId: string;
  workflow: string;
  claimedAt: number;
  /** Set when the orchestrator refused the start (lib/runtimes/native/event-auth.ts): no run began. */
  rejected?: string;
}

/**
 * Identifies one attempt of one task: the native engine's `TaskContext` (it travels through the
 * task conductor's state), and a child run's link to the parent's task it stands for.
 */
export interface TaskAttempt {
  runId: string;
  workflow: string;
  position: number;
  index: number;
  /** 1-based. */
  attempt: number;
  /** Trigger to fire with the completion event. */
  trigger: string;
  /** The stage whose task this is (a single-task parallel branch: the branch's own stage). */
  stageId: string;
  /**
   * The attempt's task key (lib/events/task-key.ts), as the completion event names it; `position` and
   * `index` above are where the native runtime stores the attempt (its transition and task slot).
   * Absent on attempts started before task keys were given out.
   */
  taskKey?: string;
  /**
   * The attempt's token (lib/events/event-seal.ts), added when the attempt is handed to whoever
   * runs it; a completion without the right one is refused. Never stored in run documents.
   */
  token?: string;
}

/** An event the orchestrator refused (forged, misrouted, unsigned): counted where the run's status shows it. */
export interface RejectedDoc {
  type: 'rejected';
  runId: string;
  eventId: string;
  eventType: string;
  reason: string;
  rejectedAt: number;
}

/** Deployed definition plus what deploy learnt about the actions it names. */
export interface WorkflowDoc {
  type: 'workflow';
  name: string;
  definition: Workflow;
  /** Trigger the run's events go to. */
  trigger: string;
  /** Actions that report their own completion (annotation `whiskflow-report: self`). */
  selfReporting: string[];
  deployedAt: number;
  /** Which engine runs it: absent or `native` (trigger, rule, orchestrator), or `streaming` (`whiskflow engine`). */
  model?: 'native' | 'streaming';
  /** Streaming model: where `whiskflow run` produces the run's start (as given to `whiskflow engine`). */
  stream?: { url: string; topicPrefix: string };
}

/**
 * A transition: the `position`-th stage the run parks at (a task, reduce, map or parallel stage, entered
 * with `data`), or its end (`stageId` = END_STAGE). Choices, `succeed` and `fail` are passed inside
 * a transition and leave no document of their own.
 */
export interface StageDoc {
  type: 'stage';
  runId: string;
  position: number;
  stageId: string;
  /** The run's data when the stage was entered. */
  data: Json;
  /** Tasks the stage waits for; 0 for the end. */
  taskCount: number;
  /** Tasks started at once (map concurrency); the rest start as earlier ones complete. */
  window: number;
  startedAt: number;
  claimedBy?: string;
  /** A wait stage's: when its timer is due (ms since the epoch); the sweep fires it then (waits.ts). */
  wakeAt?: number;
  /** Present when this transition ends the run. */
  end?: { status: 'succeeded' | 'failed' | 'cancelled'; output?: Json; failure?: RunFailure };
  /**
   * The results the run's scope holds for a later reduce, by the map or parallel stage that produced
   * them: the `position` of the transition whose results they are, or the results themselves when there
   * were none (an empty map has no transition of its own). Absent: none yet.
   */
  joins?: Record<string, number | Json[]>;
  /**
   * Stages passed inside this transition before it parked or ended (choices, `succeed`, `fail`, an
   * empty map, a failure routed by `catch`), in order, as `whiskflow status`/`logs` list them; at
   * most the first 100 (a choice loop may pass thousands before whiskflow.InstantLoop).
   */
  passed?: string[];
  /**
   * How many times the run (a child run: the branch) has entered each stage, this transition
   * included: the `position` of its tasks' keys (lib/events/task-key.ts). Absent on transitions stored
   * before it was kept.
   */
  visits?: Record<string, number>;
}

export interface InvokeDoc {
  type: 'invoke';
  runId: string;
  position: number;
  index: number;
  attempt: number;
  claimedAt: number;
  claimedBy?: string;
  /** Identifies the handling that holds the claim (see the orchestrator's `Handling`). */
  claimToken?: string;
  /**
   * Set once the invoke was accepted; absent while (or if) the claimer is still invoking. For a
   * child run, the orchestrator activation that started it (no activation runs the branch as a whole).
   */
  activationId?: string;
  invokedAt?: number;
  /** Set when the attempt is a child run (a parallel branch of several stages) rather than an action. */
  childRunId?: string;
  /** Set when the attempt is an event stage's wait (lib/store/event-mailbox.ts): no activation runs it. */
  eventWait?: true;
  /** A callback task's token (lib/events/callback-token.ts), for `whiskflow status`: whoever holds it may report the attempt. */
  callbackToken?: string;
  /**
   * An event wait's or a callback's timeout, kept durably (lib/runtimes/native/due-attempts.ts): at
   * `deadline` (epoch ms) the sweep fires the attempt's `task.timed-out` for `timeoutMs`.
   */
  deadline?: number;
  timeoutMs?: number;
  /** A callback's heartbeat limit: the sweep fails the attempt when no heartbeat came for this long. */
  heartbeatMs?: number;
}

/** The latest heartbeat of a callback attempt (`docIds.heartbeat`), replaced by each heartbeat. */
export interface HeartbeatDoc {
  type: 'heartbeat';
  runId: string;
  position: number;
  index: number;
  attempt: number;
  /** Epoch ms of the latest heartbeat. */
  at: number;
  count: number;
}

export interface ResultDoc {
  type: 'result';
  runId: string;
  position: number;
  index: number;
  attempt: number;
  ok: boolean;
  result?: Json;
  failure?: RunFailure;
  /** Activation that reported the outcome. */
  activationId?: string;
  completedAt: number;
}

/**
 * Marks a bucket of a wide stage's results complete (two-level join). It carries the bucket's
 * results when they are small, so that the join reads a few markers instead of every result.
 */
export interface JoinedDoc {
  type: 'joined';
  runId: string;
  position: number;
  bucket: number;
  /**
   * When every result of the bucket succeeded: their values (`result`), in index order. Only the
   * values, because the join needs nothing else of a success and the store's cost of listing the
   * markers with their bodies grows with their size (full result documents made that listing
   * ~3x slower on pouchdb-server at 1,000 tasks).
   */
  values?: Json[];
  /** Otherwise: the bucket's result documents (without `_id`/`_rev`), in index order. Neither when too large. */
  results?: ResultDoc[];
  /**
   * The attempts its results took, summed (each result's `attempt`): with the values or results, a
   * reader (the dashboard) counts the bucket without listing its claims. Absent in markers written
   * before it was added, and when the bucket's results were not at hand.
   */
  attempts?: number;
}

export const END_STAGE = '$end';

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

export const docIds = {
  workflow: (name: string) => `workflow/${name}`,
  workflowsPrefix: () => 'workflow/',
  run: (runId: string) => `run/${runId}`,
  runsPrefix: () => 'run/',
  start: (startKey: string) => `start/${startKey}`,
  /**
   * The child run of attempt `attempt` of branch `index` of the parallel stage entered at `position`.
   * Derived, so that every activation starting it names the same run. `.` cannot end a prefix of
   * the parent's own ranges (they all end in `<parentId>/`), so no listing of the parent's
   * documents picks up the child's; and generated run ids (`newRunId`) never contain a `.`.
   */
  childRun: (parentRunId: string, position: number, index: number, attempt: number) => `${parentRunId}.s${position}b${index}a${attempt}`,
  stage: (runId: string, position: number) => `stage/${runId}/${pad(position, 4)}`,
  stagesPrefix: (runId: string) => `stage/${runId}/`,
  invoke: (runId: string, position: number, index: number, attempt: number) => `invoke/${runId}/${pad(position, 4)}/${pad(index, 6)}/${pad(attempt, 3)}`,
  invokesPrefix: (runId: string, position?: number) => (position === undefined ? `invoke/${runId}/` : `invoke/${runId}/${pad(position, 4)}/`),
  result: (runId: string, position: number, index: number, taskCount: number) =>
    `result/${runId}/${pad(position, 4)}/${pad(bucketOf(index, taskCount), 4)}/${pad(index, 6)}`,
  resultsPrefix: (runId: string, position?: number) => (position === undefined ? `result/${runId}/` : `result/${runId}/${pad(position, 4)}/`),
  bucketPrefix: (runId: string, position: number, bucket: number) => `result/${runId}/${pad(position, 4)}/${pad(bucket, 4)}/`,
  joinedBucket: (runId: string, position: number, bucket: number) => `joined/${runId}/${pad(position, 4)}/${pad(bucket, 4)}`,
  joinedPrefix: (runId: string, position: number) => `joined/${runId}/${pad(position, 4)}/`,
  /** A callback attempt's latest heartbeat (HeartbeatDoc). */
  heartbeat: (runId: string, position: number, index: number, attempt: number) => `beat/${runId}/${pad(position, 4)}/${pad(index, 6)}/${pad(attempt, 3)}`,
  /** One per refused event id (a repeat of the same forgery is one document). */
  rejected: (runId: string, eventKey: string) => `rejected/${runId}/${eventKey}`,
  rejectedPrefix: (runId: string) => `rejected/${runId}/`,
};

/** Tasks per result bucket: about the square root of the stage's task count. */
export function bucketSize(taskCount: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(taskCount)));
}

export function bucketOf(index: number, taskCount: number): number {
  return Math.floor(index / bucketSize(taskCount));
}

/** The bucket of task `index`: its number, its first task and how many tasks it holds (the last one may hold fewer). */
export function bucketBounds(index: number, taskCount: number): { bucket: number; first: number; count: number } {
  const size = bucketSize(taskCount);
  const bucket = Math.floor(index / size);
  const first = bucket * size;
  return { bucket, first, count: Math.min(size, taskCount - first) };
}

/** Run ids sort by start time (base-36 milliseconds) and stay unique across processes. */
export function newRunId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}-${Math.random().toString(36).slice(2, 8)}`;
}
