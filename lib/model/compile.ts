/**
 * Lowers the typed workflow into a flat table of primitive steps, the only form the transition
 * interprets (as Composer lowers its combinators before the conductor runs them).
 *
 * Six primitives cover the seven stage kinds:
 * - `invoke`   one action, one result (task; reduce is an invoke whose input is a join's results);
 * - `fan-out`  one action per element, joined in input order (map);
 * - `fork`     one child scope per branch, joined in branch order (parallel);
 * - `branch`   pick the next step from the data (choice);
 * - `succeed`, `fail`  end the scope;
 * - `wait`     park until a time, then go on with the data unchanged (wait).
 * - `await`    one external event correlated to the run (event).
 * Every step knows its resolved `next` (`null`: end of its scope) and the scope it belongs to, so
 * the transition never walks the nested stage lists.
 */
import { createHash } from 'node:crypto';
import { InvalidWorkflowError } from '../errors';
import type { JsonObject } from './json';
import type { CatchRule, ChoiceRule, CompletionPolicy, DataPath, RetryPolicy, Stage, Workflow } from './workflow';

/** Bumped when the compiled form changes shape, so stored runs can tell which compiler made them. */
export const COMPILED_FORMAT = 1;

/** The root scope, or branch `branch` of the fork step `forkStepId`. */
export type ScopeRef = { kind: 'root' } | { kind: 'branch'; forkStepId: string; branch: number };

interface StepCommon {
  id: string;
  /** Step to run after this one; `null` ends the scope. */
  next: string | null;
  scope: ScopeRef;
}

/** Where an invoke's parameters come from. */
export type InvokeInput = { kind: 'data'; path: DataPath } | { kind: 'join'; fromStepId: string };

export interface InvokeStep extends StepCommon {
  kind: 'invoke';
  stageKind: 'task' | 'reduce';
  action: string;
  params: JsonObject;
  input: InvokeInput;
  retry?: RetryPolicy;
  timeoutMs?: number;
  resultPath: DataPath | null;
  output: DataPath;
  catch: CatchRule[];
  /** A callback task: its outcome is reported for its token, not by the action (see TaskStage). */
  callback?: true;
  /** A callback task's heartbeat limit (see TaskStage). */
  heartbeatMs?: number;
}

/** Waits for an external event (an `event` stage; lib/core/await.ts). */
export interface AwaitStep extends StepCommon {
  kind: 'await';
  eventType: string;
  key: DataPath;
  timeoutMs?: number;
  resultPath: DataPath | null;
  output: DataPath;
  catch: CatchRule[];
}

export interface FanOutStep extends StepCommon {
  kind: 'fan-out';
  input: DataPath;
  items: DataPath;
  /** `undefined`: DEFAULT_MAP_CONCURRENCY (see mapWindow). */
  concurrency?: number;
  /** `undefined`: all, fail fast (lib/conditions/completion.ts). */
  completion?: CompletionPolicy;
  action: string;
  params: JsonObject;
  retry?: RetryPolicy;
  timeoutMs?: number;
  resultPath: DataPath | null;
  output: DataPath;
  catch: CatchRule[];
}

export interface ForkStep extends StepCommon {
  kind: 'fork';
  /** First step of each branch, in branch order. */
  branchStarts: string[];
  /** `undefined`: all, fail fast (lib/conditions/completion.ts). */
  completion?: CompletionPolicy;
  input: DataPath;
  resultPath: DataPath | null;
  output: DataPath;
  catch: CatchRule[];
}

export interface BranchStep extends StepCommon {
  kind: 'branch';
  rules: ChoiceRule[];
  default?: string;
}

export interface SucceedStep extends StepCommon {
  kind: 'succeed';
  output: DataPath;
}

export interface FailStep extends StepCommon {
  kind: 'fail';
  error: string;
  cause?: string;
}

export interface WaitStep extends StepCommon {
  kind: 'wait';
  /** Exactly one: a duration, or the path of an ISO 8601 time in the data. */
  seconds?: number;
  until?: DataPath;
  /** Always empty (a wait has no catch of its own); kept so every parked step routes failures alike. */
  catch: CatchRule[];
}

export type Step = InvokeStep | FanOutStep | ForkStep | BranchStep | SucceedStep | FailStep | WaitStep | AwaitStep;
export type StepKind = Step['kind'];

export interface CompiledWorkflow {
  name: string;
  /** The author's version, or `sha256:<16 hex>` of the model when none was given. */
  version: string;
  format: typeof COMPILED_FORMAT;
  /** First step of the root scope. */
  start: string;
  steps: Record<string, Step>;
}

export function compileWorkflow(workflow: Workflow): CompiledWorkflow {
  const steps: Record<string, Step> = {};
  const start = lowerScope(workflow.stages, { kind: 'root' }, steps);
  return {
    name: workflow.name,
    version: workflow.version ?? contentVersion(workflow),
    format: COMPILED_FORMAT,
    start,
    steps,
  };
}

/** The step with this id; a missing one means the compiled workflow and the run state disagree. */
export function stepOf(workflow: CompiledWorkflow, stepId: string): Step {
  const step = workflow.steps[stepId];
  if (!step) throw new InvalidWorkflowError(`steps.${stepId}`, stepId, `a step of workflow ${workflow.name}@${workflow.version}`);
  return step;
}

/** Lowers one stage list; returns the id of its first step. */
function lowerScope(stages: Stage[], scope: ScopeRef, steps: Record<string, Step>): string {
  stages.forEach((stage, index) => {
    const following = stages[index + 1];
    const next = stage.end ? null : (stage.next ?? following?.id ?? null);
    steps[stage.id] = lowerStage(stage, { id: stage.id, next, scope }, steps);
  });
  const first = stages[0];
  if (!first) throw new InvalidWorkflowError('stages', stages, 'at least one stage');
  return first.id;
}

function lowerStage(stage: Stage, common: StepCommon, steps: Record<string, Step>): Step {
  switch (stage.kind) {
    case 'task':
    case 'reduce': {
      const step: InvokeStep = {
        ...common,
        kind: 'invoke',
        stageKind: stage.kind,
        action: stage.action,
        params: stage.params ?? {},
        input: stage.kind === 'task' ? { kind: 'data', path: stage.input } : { kind: 'join', fromStepId: stage.from },
        resultPath: stage.resultPath,
        output: stage.output,
        catch: stage.catch ?? [],
      };
      if (stage.retry) step.retry = stage.retry;
      if (stage.timeoutMs !== undefined) step.timeoutMs = stage.timeoutMs;
      if (stage.kind === 'task' && stage.callback) step.callback = true;
      if (stage.kind === 'task' && stage.heartbeatMs !== undefined) step.heartbeatMs = stage.heartbeatMs;
      return step;
    }
    case 'event': {
      const step: AwaitStep = {
        ...common, kind: 'await', eventType: stage.eventType, key: stage.key, resultPath: stage.resultPath, output: stage.output, catch: stage.catch ?? [],
      };
      if (stage.timeoutMs !== undefined) step.timeoutMs = stage.timeoutMs;
      return step;
    }
    case 'map': {
      const step: FanOutStep = {
        ...common,
        kind: 'fan-out',
        input: stage.input,
        items: stage.items,
        action: stage.action,
        params: stage.params ?? {},
        resultPath: stage.resultPath,
        output: stage.output,
        catch: stage.catch ?? [],
      };
      if (stage.concurrency !== undefined) step.concurrency = stage.concurrency;
      if (stage.completion !== undefined) step.completion = stage.completion;
      if (stage.retry) step.retry = stage.retry;
      if (stage.timeoutMs !== undefined) step.timeoutMs = stage.timeoutMs;
      return step;
    }
    case 'parallel': {
      const step: ForkStep = {
        ...common,
        kind: 'fork',
        branchStarts: stage.branches.map((branch, index) =>
          lowerScope(branch.stages, { kind: 'branch', forkStepId: stage.id, branch: index }, steps)),
        input: stage.input,
        resultPath: stage.resultPath,
        output: stage.output,
        catch: stage.catch ?? [],
      };
      if (stage.completion !== undefined) step.completion = stage.completion;
      return step;
    }
    case 'wait': {
      const step: WaitStep = { ...common, kind: 'wait', catch: [] };
      if (stage.seconds !== undefined) step.seconds = stage.seconds;
      if (stage.until !== undefined) step.until = stage.until;
      return step;
    }
    case 'choice': {
      const step: BranchStep = { ...common, kind: 'branch', rules: stage.rules };
      if (stage.default !== undefined) step.default = stage.default;
      return step;
    }
    case 'succeed':
      return { ...common, next: null, kind: 'succeed', output: stage.output };
    case 'fail': {
      const step: FailStep = { ...common, next: null, kind: 'fail', error: stage.error };
      if (stage.cause !== undefined) step.cause = stage.cause;
      return step;
    }
    default:
      return unknownStage(stage);
  }
}

function unknownStage(stage: never): never {
  throw new InvalidWorkflowError('stages', stage, 'a known stage kind');
}

function contentVersion(workflow: Workflow): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(workflow)).digest('hex').slice(0, 16)}`;
}
