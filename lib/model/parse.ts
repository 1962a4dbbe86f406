/**
 * Text → document → validated → typed `Workflow`. The only place that knows the wire format; the
 * rest of whiskflow sees the typed model with defaults filled in.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InvalidWorkflowError } from '../errors';
import type { Json, JsonObject } from './json';
import { validateWorkflowDocument, type WireStage, type WireWorkflow } from './validate';
import {
  DEFAULTS,
  type CatchRule,
  type ChoiceStage,
  type CompletionPolicy,
  type FailStage,
  type MapStage,
  type ParallelStage,
  type WaitStage,
  type Condition,
  type DataSelection,
  type EventStage,
  type InvocationOptions,
  type RetryPolicy,
  type Stage,
  type StageCommon,
  type Workflow,
} from './workflow';

/** Parse YAML or JSON text (JSON is valid YAML 1.2) into a validated workflow. */
export function parseWorkflow(text: string): Workflow {
  return parseWorkflowSource(text).workflow;
}

/**
 * The validated workflow and the document it was read from. The document is the workflow in its
 * wire format (what `toWorkflow` accepts), for whoever hands the definition on as data: a
 * manifest's trigger carries the source, never the typed model (whose conditions are another shape).
 */
export function parseWorkflowSource(text: string): { workflow: Workflow; source: Json } {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (thrown) {
    if (thrown instanceof YAMLParseError) {
      const [line, column] = thrown.linePos?.[0] ? [thrown.linePos[0].line, thrown.linePos[0].col] : [0, 0];
      const reason = thrown.message.split('\n')[0] ?? thrown.code;
      throw new InvalidWorkflowError('$', undefined, `YAML or JSON text (line ${line}, column ${column}: ${reason})`);
    }
    throw thrown;
  }
  return { workflow: toWorkflow(document), source: document as Json };
}

/** Validate an already decoded document (e.g. a request body) into a workflow. */
export function toWorkflow(document: unknown): Workflow {
  const wire = validateWorkflowDocument(document);
  return fromWire(wire);
}

function fromWire(wire: WireWorkflow): Workflow {
  const workflow: Workflow = { name: wire.name, stages: wire.stages.map((stage, index) => toStage(stage, wire.stages[index - 1])) };
  if (wire.version !== undefined) workflow.version = wire.version;
  if (wire.description !== undefined) workflow.description = wire.description;
  return workflow;
}

function toStage(wire: WireStage, previous: WireStage | undefined): Stage {
  const common: StageCommon = { id: wire.id };
  if (wire.next !== undefined) common.next = wire.next;
  if (wire.end !== undefined) common.end = wire.end;
  switch (wire.kind) {
    case 'task':
      return {
        ...common, kind: 'task', ...invocation(wire), ...selection(wire), ...catchRules(wire), ...(wire.callback === true ? { callback: true } : {}),
        ...(wire.heartbeatSeconds !== undefined ? { heartbeatMs: wire.heartbeatSeconds * 1000 } : {}),
      };
    case 'event': {
      const { input: _unused, ...rest } = selection(wire);
      const stage: EventStage = { ...common, kind: 'event', eventType: required(wire.type), key: required(wire.key), ...rest, ...catchRules(wire) };
      if (wire.timeout !== undefined) stage.timeoutMs = wire.timeout * 1000;
      return stage;
    }
    case 'map': {
      const stage: MapStage = { ...common, kind: 'map', items: required(wire.items), ...invocation(wire), ...selection(wire), ...catchRules(wire) };
      if (wire.concurrency !== undefined) stage.concurrency = wire.concurrency;
      return withCompletion(stage, wire);
    }
    case 'reduce': {
      // validate.ts guarantees a preceding map/parallel when `from` is left out.
      const from = wire.from ?? required(previous?.id);
      const { input: _unused, ...rest } = selection(wire);
      return { ...common, kind: 'reduce', from, ...invocation(wire), ...rest, ...catchRules(wire) };
    }
    case 'choice': {
      const stage: ChoiceStage = {
        ...common,
        kind: 'choice',
        rules: required(wire.rules).map((rule) => ({ when: toCondition(rule.when), next: rule.next })),
      };
      if (wire.default !== undefined) stage.default = wire.default;
      return stage;
    }
    case 'parallel':
      return withCompletion({
        ...common,
        kind: 'parallel',
        branches: required(wire.branches).map((branch) => ({
          stages: branch.stages.map((stage, index) => toStage(stage, branch.stages[index - 1])),
        })),
        ...selection(wire),
        ...catchRules(wire),
      }, wire);
    case 'wait': {
      const stage: WaitStage = { ...common, kind: 'wait' };
      if (wire.seconds !== undefined) stage.seconds = wire.seconds;
      if (wire.until !== undefined) stage.until = wire.until;
      return stage;
    }
    case 'succeed':
      return { ...common, kind: 'succeed', output: wire.output ?? DEFAULTS.path };
    case 'fail': {
      const stage: FailStage = { ...common, kind: 'fail', error: required(wire.error) };
      if (wire.cause !== undefined) stage.cause = wire.cause;
      return stage;
    }
    default:
      return assertNever(wire.kind);
  }
}

/** `completion` and the tolerated failures of a map or parallel stage; none given: absent (all). */
function withCompletion<T extends MapStage | ParallelStage>(stage: T, wire: WireStage): T {
  const { completion, toleratedFailureCount, toleratedFailurePercentage } = wire;
  if (completion === undefined && toleratedFailureCount === undefined && toleratedFailurePercentage === undefined) return stage;
  const policy: CompletionPolicy = { required: completion === undefined || completion === 'all' ? 'all' : completion === 'any' ? 1 : completion.atLeast };
  if (toleratedFailureCount !== undefined) policy.toleratedFailures = toleratedFailureCount;
  if (toleratedFailurePercentage !== undefined) policy.toleratedFailurePercentage = toleratedFailurePercentage;
  return { ...stage, completion: policy };
}

function invocation(wire: WireStage): InvocationOptions {
  const options: InvocationOptions = { action: required(wire.action) };
  if (wire.params !== undefined) options.params = wire.params as JsonObject;
  if (wire.retry !== undefined) options.retry = toRetry(wire.retry);
  if (wire.timeout !== undefined) options.timeoutMs = wire.timeout;
  return options;
}

function toRetry(wire: NonNullable<WireStage['retry']>): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: wire.maxAttempts ?? DEFAULTS.retryMaxAttempts,
    backoff: {
      initialMs: wire.backoff?.initialMs ?? DEFAULTS.backoff.initialMs,
      multiplier: wire.backoff?.multiplier ?? DEFAULTS.backoff.multiplier,
      maxMs: wire.backoff?.maxMs ?? DEFAULTS.backoff.maxMs,
    },
  };
  if (wire.errors !== undefined) policy.errors = wire.errors;
  return policy;
}

function selection(wire: WireStage): DataSelection {
  return {
    input: wire.input ?? DEFAULTS.path,
    resultPath: wire.resultPath === undefined ? DEFAULTS.path : wire.resultPath,
    output: wire.output ?? DEFAULTS.path,
  };
}

function catchRules(wire: WireStage): { catch?: CatchRule[] } {
  if (wire.catch === undefined) return {};
  return {
    catch: wire.catch.map((rule) => {
      const converted: CatchRule = { next: rule.next, resultPath: rule.resultPath === undefined ? DEFAULTS.catchResultPath : rule.resultPath };
      if (rule.errors !== undefined) converted.errors = rule.errors;
      return converted;
    }),
  };
}

const COMPARISONS = ['equals', 'lt', 'le', 'gt', 'ge', 'exists', 'matches'] as const;

/** `{ path: '$.n', gt: 3 }` → `{ kind: 'gt', path: '$.n', value: 3 }`; the schema fixed the shapes. */
function toCondition(wire: Record<string, unknown>): Condition {
  if (Array.isArray(wire.and)) return { kind: 'and', conditions: wire.and.map((item) => toCondition(item as Record<string, unknown>)) };
  if (Array.isArray(wire.or)) return { kind: 'or', conditions: wire.or.map((item) => toCondition(item as Record<string, unknown>)) };
  if (wire.not !== undefined) return { kind: 'not', condition: toCondition(wire.not as Record<string, unknown>) };
  const path = String(wire.path);
  const operator = COMPARISONS.find((name) => name in wire);
  switch (operator) {
    case 'equals':
      return { kind: 'equals', path, value: wire.equals as Json };
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return { kind: operator, path, value: wire[operator] as number | string };
    case 'exists':
      return { kind: 'exists', path, value: wire.exists as boolean };
    case 'matches':
      return { kind: 'matches', path, value: wire.matches as string };
    case undefined:
      throw new InvalidWorkflowError('$', wire, 'a condition with an operator');
    default:
      return assertNever(operator);
  }
}

function required<T>(value: T | undefined): T {
  // The schema made these fields required for the stage kind; reaching this means schema and code disagree.
  if (value === undefined) throw new InvalidWorkflowError('$', value, 'a field the schema requires');
  return value;
}

function assertNever(value: never): never {
  throw new InvalidWorkflowError('$', value, 'a known stage kind');
}
