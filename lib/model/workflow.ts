/**
 * The typed workflow model: what `parseWorkflow` returns once a file has passed the JSON Schema and
 * the reference checks. It is plain data (no classes), so it can be stored, sent to an action and
 * compared in tests.
 *
 * These are the user-facing types; the wire format (YAML/JSON, see `schemas/workflow.schema.json`)
 * differs in small ways that `parse.ts` converts in one place: choice conditions are written as
 * `{ path, gt: 3 }` and become `{ kind: 'gt', path, value: 3 }`; defaults are filled in.
 *
 * Data flow through a stage (like Amazon States Language, but only `$.a.b` paths, see `path.ts`):
 * 1. `input` selects what part of the data the stage works on (default `$`, all of it).
 * 2. The action receives that selection as its parameters, with the stage's static `params` as
 *    defaults underneath (as OpenWhisk merges invocation parameters over default parameters). A
 *    selection that is not an object is passed as `{ value: <selection> }`.
 * 3. `resultPath` says where the result goes in the data: `$` (default) replaces the data, `$.a.b`
 *    writes at `a.b` keeping the rest, `null` discards the result.
 * 4. `output` selects what the next stage receives (default `$`).
 */
import type { Json, JsonObject } from './json';

/** A data path such as `$`, `$.order.items` or `$.chunks[0]` (see `path.ts`). */
export type DataPath = string;

export interface Workflow {
  /** Name the runs of this workflow are filed under. */
  name: string;
  /** Author-given version; when absent, `compile` derives one from the content. */
  version?: string;
  description?: string;
  /** Stages of the top-level scope, run in order unless a stage's `next` names another. */
  stages: Stage[];
}

export type Stage = TaskStage | MapStage | ReduceStage | ChoiceStage | ParallelStage | SucceedStage | FailStage | WaitStage | EventStage;
export type StageKind = Stage['kind'];

/** Fields every stage has. */
export interface StageCommon {
  /** Unique in the whole workflow (branches included): letters, digits, `_` and `-`. */
  id: string;
  /** The stage to run after this one; by default the next stage in the same list, or the end. */
  next?: string;
  /** When true, this stage ends its scope (the run, or its parallel branch) even if stages follow. */
  end?: boolean;
}

/** Retry policy of a task. */
export interface RetryPolicy {
  /**
   * Attempts in total, the first included.
   * @default 1 (no retry when `retry` is absent); 3 when `retry` is given without it
   */
  maxAttempts: number;
  backoff: Backoff;
  /** Error names to retry; absent means every error. */
  errors?: string[];
}

/** Delay before attempt k+1 is `min(initialMs * multiplier^(k-1), maxMs)`. */
export interface Backoff {
  /** @default 1000 */
  initialMs: number;
  /** @default 2 */
  multiplier: number;
  /** @default 60000 */
  maxMs: number;
}

/** Route a failed stage to another stage instead of failing the run. */
export interface CatchRule {
  /** Error names this rule handles; absent means every error. */
  errors?: string[];
  /** Stage to continue at, in the same scope. */
  next: string;
  /**
   * Where the error (`{ error, cause, stageId, activationId }`) goes in the data.
   * @default '$.error'
   */
  resultPath: DataPath | null;
}

/** Options shared by everything that invokes an action. */
export interface InvocationOptions {
  /** OpenWhisk action name: `name`, `pkg/name` or `/namespace/pkg/name`. */
  action: string;
  /** Default parameters under the selected input. */
  params?: JsonObject;
  retry?: RetryPolicy;
  /** Milliseconds after which an attempt counts as failed with error `whiskflow.Timeout`. */
  timeoutMs?: number;
}

/** Where results go and what is passed on. */
export interface DataSelection {
  /** @default '$' */
  input: DataPath;
  /** @default '$' */
  resultPath: DataPath | null;
  /** @default '$' */
  output: DataPath;
}

export interface TaskStage extends StageCommon, InvocationOptions, DataSelection {
  kind: 'task';
  catch?: CatchRule[];
  /**
   * A callback task: the action receives a token (parameter `whiskflowToken`, see
   * lib/events/callback-token.ts) and the task's outcome is whatever is reported for that token
   * (`whiskflow complete`, lib/report, the HTTP endpoint), not the action's own result; `timeoutMs`
   * bounds the wait.
   */
  callback?: true;
  /**
   * Callback tasks only: no heartbeat for this long (since the attempt started or its previous
   * heartbeat) fails the attempt with `whiskflow.HeartbeatTimeout` (lib/events/types.ts).
   */
  heartbeatMs?: number;
}

/** One task per element of the array at `items`, joined into an array of results in input order. */
export interface MapStage extends StageCommon, InvocationOptions, DataSelection {
  kind: 'map';
  /** Path (relative to the selected input) of the array to fan out over. */
  items: DataPath;
  /** At most this many elements run at once; absent means DEFAULT_MAP_CONCURRENCY. */
  concurrency?: number;
  /** When the map is complete; absent: every element succeeded (see CompletionPolicy). */
  completion?: CompletionPolicy;
  catch?: CatchRule[];
}

/**
 * When a map or parallel stage is complete (lib/conditions/completion.ts gives it its meaning):
 * - `required`: `'all'` waits for every element (branch) to end; a number k completes the stage at
 *   its k-th success (`any` is 1), whatever the others still do: they are left to finish, their
 *   outcomes recorded and ignored.
 * - `toleratedFailures`: failures (after retries) the stage survives; one more fails it. Absent:
 *   none with `all`, else as many as still leave k successes possible.
 * - `toleratedFailurePercentage`: the same as a share of the elements, for maps whose size is known
 *   only at run time (the lower of the two bounds applies when both are given).
 * The results passed on are those that counted (the successes), in input order.
 */
export interface CompletionPolicy {
  required: 'all' | number;
  toleratedFailures?: number;
  toleratedFailurePercentage?: number;
}

/**
 * The window of a map without `concurrency`, under both engines. Stock OpenWhisk runs 100
 * concurrent activations per namespace: a wider map on a stock deployment only meets 429s and
 * retries them. It also lets a wide map's completions drain as they come: on the local platform a
 * 1,000-task native map joined in 55-89 ms with this window against 223-348 ms all at once, in
 * about the same makespan; the streaming engine's 10,000-task maps took longer, 62-67 s against
 * 43-44 s (README, Benchmarks). A deployment with raised limits sets `concurrency` per map.
 */
export const DEFAULT_MAP_CONCURRENCY = 100;

/** How many of a map's `elements` run at once. */
export function mapWindow(concurrency: number | undefined, elements: number): number {
  return Math.min(concurrency ?? DEFAULT_MAP_CONCURRENCY, elements);
}

/**
 * The element a map starts when element `index` is resolved (its result, or a failure its
 * completion policy tolerates), with `window` of its `elements` at once: `index + window`, so that
 * each element starts exactly once and at most `window` run at a time, whatever order they resolve
 * in. Undefined past the last element, and for a window of 0 (no task starts another).
 */
export function nextInWindow(index: number, window: number, elements: number): number | undefined {
  const next = index + window;
  return window > 0 && next < elements ? next : undefined;
}

/**
 * A task that receives `{ results: [...] }`, the results of the map or parallel stage `from`, in
 * input order, under its static params. Its `input` path is not used.
 */
export interface ReduceStage extends StageCommon, InvocationOptions, Omit<DataSelection, 'input'> {
  kind: 'reduce';
  /** A map or parallel stage of the same scope; by default the stage just before this one. */
  from: string;
  catch?: CatchRule[];
}

/** Branch on the data: the first rule whose condition holds wins, else `default`. */
export interface ChoiceStage extends StageCommon {
  kind: 'choice';
  rules: ChoiceRule[];
  /** Stage to run when no rule holds; without it, the run fails with `whiskflow.NoChoiceMatched`. */
  default?: string;
}

export interface ChoiceRule {
  when: Condition;
  next: string;
}

/** Conditions on the data; comparisons need both sides to be numbers, or both strings. */
export type Condition =
  | { kind: 'equals'; path: DataPath; value: Json }
  | { kind: 'lt' | 'le' | 'gt' | 'ge'; path: DataPath; value: number | string }
  | { kind: 'exists'; path: DataPath; value: boolean }
  /** Glob: `*` matches any run of characters, everything else literally (no user regex, no ReDoS). */
  | { kind: 'matches'; path: DataPath; value: string }
  | { kind: 'and'; conditions: Condition[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition };
export type ConditionKind = Condition['kind'];

/** Static branches that run at once on the same input; results are joined in branch order. */
export interface ParallelStage extends StageCommon, DataSelection {
  kind: 'parallel';
  branches: Branch[];
  /** When the stage is complete; absent: every branch succeeded (see CompletionPolicy). */
  completion?: CompletionPolicy;
  catch?: CatchRule[];
}

export interface Branch {
  stages: Stage[];
}

/** Ends its scope successfully; the data (after `output`) is the scope's result. */
export interface SucceedStage extends StageCommon {
  kind: 'succeed';
  output: DataPath;
}

/** Fails its scope with an error name and a cause (routed to a parallel stage's `catch` if in a branch). */
export interface FailStage extends StageCommon {
  kind: 'fail';
  error: string;
  cause?: string;
}

/**
 * Waits, then goes on with its data unchanged. Durable under both runtimes: the time to wake is
 * stored with the run (native: its transition document, fired by the sweep; streaming: a
 * checkpointed timer), so a restart of anything while it waits neither loses nor repeats it, and
 * nothing runs meanwhile.
 */
export interface WaitStage extends StageCommon {
  kind: 'wait';
  /** Exactly one of the two: a duration, or an ISO 8601 time read from the data at this path. */
  seconds?: number;
  until?: DataPath;
}

/**
 * Waits for an external event correlated to the run: a CloudEvent of type `eventType` whose
 * correlation key equals the value at `key` in the data (see lib/core/await.ts). The event's data
 * is the stage's result; with `timeoutMs`, no event in time fails the stage with `whiskflow.Timeout`.
 */
export interface EventStage extends StageCommon, Omit<DataSelection, 'input'> {
  kind: 'event';
  /** The CloudEvent `type` waited for (written `type` in a workflow file). */
  eventType: string;
  /** Path of the correlation key in the data (a string or a number there). */
  key: DataPath;
  /** Written `timeout`, in seconds, in a workflow file. */
  timeoutMs?: number;
  catch?: CatchRule[];
}

/** Defaults applied when a file leaves fields out. */
export const DEFAULTS = {
  retryMaxAttempts: 3,
  backoff: { initialMs: 1000, multiplier: 2, maxMs: 60_000 } satisfies Backoff,
  catchResultPath: '$.error',
  path: '$',
} as const;
