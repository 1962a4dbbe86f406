/**
 * Validation of a workflow document (already parsed from YAML/JSON) in two passes:
 * 1. shape, against the published JSON Schema `schemas/workflow.schema.json` (ajv);
 * 2. references, which a schema cannot express: unique stage ids, `next`/`catch`/`default` naming a
 *    stage of the same scope, `reduce.from` naming a preceding map or parallel stage, and no loop of
 *    choices that runs no task (see `checkInstantLoops`).
 * The first problem found is thrown as `InvalidWorkflowError(path, value, expected)` with a JSON
 * path such as `$.stages[2].next`.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidWorkflowError } from '../errors';
import workflowSchema from '../../schemas/workflow.schema.json';

/** The wire format as the schema guarantees it; `parse.ts` turns it into the typed model. */
export interface WireWorkflow {
  name: string;
  version?: string;
  description?: string;
  stages: WireStage[];
}

export interface WireStage {
  id: string;
  kind: 'task' | 'map' | 'reduce' | 'choice' | 'parallel' | 'succeed' | 'fail' | 'wait' | 'event';
  next?: string;
  end?: boolean;
  action?: string;
  params?: Record<string, unknown>;
  input?: string;
  resultPath?: string | null;
  output?: string;
  retry?: { maxAttempts?: number; backoff?: { initialMs?: number; multiplier?: number; maxMs?: number }; errors?: string[] };
  timeout?: number;
  catch?: { errors?: string[]; next: string; resultPath?: string | null }[];
  items?: string;
  concurrency?: number;
  from?: string;
  rules?: { when: Record<string, unknown>; next: string }[];
  default?: string;
  branches?: { stages: WireStage[] }[];
  error?: string;
  cause?: string;
  completion?: 'all' | 'any' | { atLeast: number };
  toleratedFailureCount?: number;
  toleratedFailurePercentage?: number;
  seconds?: number;
  until?: string;
  /** event stage */
  type?: string;
  key?: string;
  /** task stage */
  callback?: boolean;
  heartbeatSeconds?: number;
}

let compiledSchema: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  // Compiled once per process: ajv compilation costs far more than validation.
  compiledSchema ??= new Ajv({ discriminator: true, allowUnionTypes: true, verbose: true }).compile(workflowSchema);
  return compiledSchema;
}

/** Check `document` against the schema and the reference rules; returns it typed as the wire format. */
export function validateWorkflowDocument(document: unknown): WireWorkflow {
  const validate = schemaValidator();
  if (!validate(document)) throw toInvalidWorkflowError(validate.errors ?? []);
  const workflow = document as WireWorkflow;
  checkReferences(workflow);
  return workflow;
}

/** `/stages/2/next` → `$.stages[2].next`. */
export function toJsonPath(instancePath: string): string {
  const parts = instancePath.split('/').slice(1).map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  return parts.reduce((path, part) => (/^[0-9]+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), '$');
}

function toInvalidWorkflowError(errors: ErrorObject[]): InvalidWorkflowError {
  const first = errors[0];
  if (!first) return new InvalidWorkflowError('$', undefined, 'a valid workflow');
  // A failed `oneOf` also reports every alternative's complaint first; when the oneOf has a
  // description (conditions, result paths), it says what was expected better than any alternative.
  const alternatives = errors.find((error) => error.keyword === 'oneOf' && error.instancePath === first.instancePath);
  const described = alternatives?.parentSchema as { description?: string } | undefined;
  if (alternatives && described?.description) {
    return new InvalidWorkflowError(toJsonPath(first.instancePath), alternatives.data, described.description);
  }
  const path = toJsonPath(first.instancePath);
  switch (first.keyword) {
    case 'required':
      return new InvalidWorkflowError(`${path}.${String(first.params.missingProperty)}`, undefined, 'a required field');
    case 'additionalProperties': {
      const field = String(first.params.additionalProperty);
      const allowed = Object.keys((first.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return new InvalidWorkflowError(`${path}.${field}`, (first.data as Record<string, unknown>)[field], `no such field (allowed: ${allowed.join(', ')})`);
    }
    case 'discriminator':
      return new InvalidWorkflowError(`${path}.kind`, first.params.tagValue, 'a stage kind: task, map, reduce, choice, parallel, succeed, fail, wait or event');
    case 'pattern':
      return new InvalidWorkflowError(path, first.data, describePattern(first));
    default:
      return new InvalidWorkflowError(path, first.data, first.message ?? first.keyword);
  }
}

function describePattern(error: ErrorObject): string {
  const pattern = String(error.params.pattern);
  if (pattern.startsWith('^\\$')) return 'a data path such as `$`, `$.a.b` or `$.a[0]`';
  if (pattern === '^[A-Za-z][A-Za-z0-9_-]*$') return 'an id of letters, digits, `_` and `-`, starting with a letter';
  return `text matching ${pattern}`;
}

interface ScopeEntry {
  stage: WireStage;
  path: string;
}

function checkReferences(workflow: WireWorkflow): void {
  checkUniqueIds(workflow.stages, '$.stages', new Map());
  checkScope(workflow.stages, '$.stages');
}

/** Ids are unique across the whole workflow (task keys and threads name stages by id alone). */
function checkUniqueIds(stages: WireStage[], listPath: string, seen: Map<string, string>): void {
  stages.forEach((stage, index) => {
    const path = `${listPath}[${index}]`;
    const earlier = seen.get(stage.id);
    if (earlier !== undefined) throw new InvalidWorkflowError(`${path}.id`, stage.id, `a stage id not used before (already used at ${earlier})`);
    seen.set(stage.id, path);
    if (stage.heartbeatSeconds !== undefined && stage.callback !== true) {
      throw new InvalidWorkflowError(`${path}.heartbeatSeconds`, stage.heartbeatSeconds, 'a field of callback tasks only (add `callback: true`): only a callback task is reported by heartbeats');
    }
    stage.branches?.forEach((branch, branchIndex) => checkUniqueIds(branch.stages, `${path}.branches[${branchIndex}].stages`, seen));
  });
}

/** A scope is one list of stages (the top level, or one parallel branch); jumps stay inside it. */
function checkScope(stages: WireStage[], listPath: string): void {
  const scope: ScopeEntry[] = stages.map((stage, index) => ({ stage, path: `${listPath}[${index}]` }));
  const ids = new Set(stages.map((stage) => stage.id));
  const mustExist = (target: string, where: string): void => {
    if (!ids.has(target)) {
      throw new InvalidWorkflowError(where, target, `the id of a stage in the same list (one of ${[...ids].join(', ')})`);
    }
  };
  scope.forEach(({ stage, path }, index) => {
    if (stage.next !== undefined && stage.end === true) throw new InvalidWorkflowError(`${path}.end`, true, 'either `next` or `end: true`, not both');
    if (stage.next !== undefined) mustExist(stage.next, `${path}.next`);
    stage.catch?.forEach((rule, ruleIndex) => mustExist(rule.next, `${path}.catch[${ruleIndex}].next`));
    stage.rules?.forEach((rule, ruleIndex) => mustExist(rule.next, `${path}.rules[${ruleIndex}].next`));
    if (stage.default !== undefined) mustExist(stage.default, `${path}.default`);
    if (stage.kind === 'reduce') checkReduceSource(stage, path, scope.slice(0, index));
    if (stage.kind === 'wait') checkWait(stage, path);
    checkCompletion(stage, path);
    stage.branches?.forEach((branch, branchIndex) => checkScope(branch.stages, `${path}.branches[${branchIndex}].stages`));
  });
  checkInstantLoops(scope);
}

/** A jump from a choice to another choice of the same scope, with the JSON path that makes it. */
interface ChoiceJump {
  target: string;
  path: string;
}

/**
 * Refuses a loop of stages that runs no task: a cycle through choices alone (succeed and fail end
 * their scope, so only choices pass on without running anything). Such a run would spin until the
 * engine's run-time guard fails it with `whiskflow.InstantLoop`; found at deploy, the author sees
 * the loop instead. A cycle through any task, map, reduce or parallel stage is allowed: whether it
 * runs a task depends on the data (the run-time guard stays for that). Jumps never leave a scope,
 * so each scope is checked on its own.
 */
function checkInstantLoops(scope: ScopeEntry[]): void {
  const jumps = new Map<string, ChoiceJump[]>();
  for (const { stage, path } of scope) {
    if (stage.kind !== 'choice') continue;
    const targets: ChoiceJump[] = (stage.rules ?? []).map((rule, index) => ({ target: rule.next, path: `${path}.rules[${index}].next` }));
    if (stage.default !== undefined) targets.push({ target: stage.default, path: `${path}.default` });
    jumps.set(stage.id, targets);
  }
  const done = new Set<string>();
  const visit = (id: string, trail: string[]): void => {
    // Depth-first over choices only; `trail` is the current path, so meeting one of it again is a cycle.
    done.add(id);
    for (const jump of jumps.get(id) ?? []) {
      if (!jumps.has(jump.target)) continue;
      const earlier = trail.indexOf(jump.target);
      if (earlier >= 0) {
        const loop = [...trail.slice(earlier), jump.target];
        throw new InvalidWorkflowError(jump.path, jump.target, `stages ${loop.join(' -> ')} form a loop that runs no task; expected a target that leaves it, or a task in it`);
      }
      if (!done.has(jump.target)) visit(jump.target, [...trail, jump.target]);
    }
  };
  for (const id of jumps.keys()) if (!done.has(id)) visit(id, [id]);
}

function checkReduceSource(stage: WireStage, path: string, before: ScopeEntry[]): void {
  const expected = 'a map or parallel stage listed before this reduce, in the same list';
  if (stage.from === undefined) {
    const previous = before[before.length - 1];
    if (!previous || (previous.stage.kind !== 'map' && previous.stage.kind !== 'parallel')) {
      throw new InvalidWorkflowError(`${path}.from`, previous?.stage.id, `${expected} (name it with \`from\`)`);
    }
    return;
  }
  const source = before.find((entry) => entry.stage.id === stage.from);
  if (!source || (source.stage.kind !== 'map' && source.stage.kind !== 'parallel')) {
    throw new InvalidWorkflowError(`${path}.from`, stage.from, expected);
  }
}

/** A wait says how long in exactly one way. */
function checkWait(stage: WireStage, path: string): void {
  if ((stage.seconds === undefined) === (stage.until === undefined)) {
    throw new InvalidWorkflowError(`${path}.seconds`, stage.seconds, `exactly one of \`seconds\` (a duration) and \`until\` (a path to an ISO 8601 time) on wait stage ${stage.id}`);
  }
}

/** A parallel stage's branches are known here: a policy they cannot meet is refused at deploy. */
function checkCompletion(stage: WireStage, path: string): void {
  const atLeast = typeof stage.completion === 'object' ? stage.completion.atLeast : undefined;
  const branches = stage.branches?.length;
  if (atLeast === undefined || branches === undefined) return;
  if (atLeast > branches) {
    throw new InvalidWorkflowError(`${path}.completion.atLeast`, atLeast, `at most the number of branches of parallel stage ${stage.id} (${branches})`);
  }
  if (stage.toleratedFailureCount !== undefined && stage.toleratedFailureCount > branches) {
    throw new InvalidWorkflowError(`${path}.toleratedFailureCount`, stage.toleratedFailureCount, `at most the number of branches of parallel stage ${stage.id} (${branches})`);
  }
}
