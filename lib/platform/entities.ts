/**
 * The four OpenWhisk entity kinds as stored and served, and the pure conversion of PUT bodies into
 * them (create, or update with `overwrite=true` where absent fields keep their old values, as the
 * real controller does). Validation errors are 400s with the controller's texts.
 */
import { badRequest, malformed, tooLarge } from './api-error';
import { SystemLimits } from './limits';
import { Messages } from './messages';
import { QualifiedName, entityNamespaceOf, isValidEntityName } from './names';
import { KindCatalog } from './runtime/kinds';
import type { CodeRef } from './persistence/code-store';

export interface KeyValue { key: string; value: unknown }
export type EntityType = 'action' | 'package' | 'trigger' | 'rule';

interface EntityBase {
  /** `ns`, or `ns/pkg` for an action inside a package. */
  namespace: string;
  name: string;
  version: string;
  publish: boolean;
  annotations: KeyValue[];
  updated: number;
}

export interface ActionLimits { timeout: number; memory: number; logs: number; concurrency: number }

/** Code of an action as PUT and stored in CouchDB. */
export interface CodeExec { kind: string; code: string; binary: boolean; main?: string }
/**
 * The same exec as the entity store keeps it in memory when the code is large: the code itself is on
 * disk (persistence/code-store.ts), read when a container starts or a client asks for it.
 */
export interface StoredCodeExec { kind: string; codeRef: CodeRef; binary: boolean; main?: string }

export type ActionExec =
  | CodeExec
  | StoredCodeExec
  | { kind: 'sequence'; components: string[] };

export interface ActionEntity extends EntityBase {
  exec: ActionExec;
  parameters: KeyValue[];
  limits: ActionLimits;
}
export interface PackageEntity extends EntityBase {
  parameters: KeyValue[];
  binding?: { namespace: string; name: string };
}
export interface TriggerEntity extends EntityBase {
  parameters: KeyValue[];
  limits: Record<string, never>;
}
export interface RuleEntity extends EntityBase {
  status: 'active' | 'inactive';
  trigger: { path: string; name: string };
  action: { path: string; name: string };
}

export interface EntityDocs { action: ActionEntity; package: PackageEntity; trigger: TriggerEntity; rule: RuleEntity }

export type Entity =
  | { type: 'action'; doc: ActionEntity }
  | { type: 'package'; doc: PackageEntity }
  | { type: 'trigger'; doc: TriggerEntity }
  | { type: 'rule'; doc: RuleEntity };

/** The kinds of a platform whose containers run this process's Node.js, and nothing else. */
const NODE_ONLY_KINDS = new KindCatalog([{ family: 'nodejs', version: process.versions.node }]);
/** The kind `nodejs:default` stands for: the Node.js the containers run. */
export const DEFAULT_NODEJS_KIND = NODE_ONLY_KINDS.resolve('nodejs:default') ?? 'nodejs:20';

export function isSequence(exec: ActionExec): exec is { kind: 'sequence'; components: string[] } {
  return exec.kind === 'sequence';
}

export function isStoredCode(exec: ActionExec): exec is StoredCodeExec {
  return 'codeRef' in exec;
}

export function annotationValue(annotations: KeyValue[], key: string): unknown {
  return annotations.find((annotation) => annotation.key === key)?.value;
}

/** OpenWhisk's notion of a truthy annotation: anything but absent, false, 0, null and "". */
export function isTruthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '';
}

export function paramsToObject(parameters: KeyValue[] | undefined): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const { key, value } of parameters ?? []) result[key] = value;
  return result;
}

/** Bumps the patch number of a semantic version, as every update does. */
export function nextVersion(version: string): string {
  const [major = '0', minor = '0', patch = '0'] = version.split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
}

type Body = Record<string, unknown>;

export function requireObjectBody(body: unknown): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw malformed('Object expected');
  return body as Body;
}

function keyValues(body: Body, field: 'parameters' | 'annotations'): KeyValue[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw malformed(`${field} must be an array of {key, value}`, { field });
  return value.map((item, index) => {
    if (typeof item !== 'object' || item === null || typeof (item as Body).key !== 'string') {
      throw malformed(`${field}[${index}] must be an object {key: string, value}`, { field, index });
    }
    const { key, value: itemValue } = item as { key: string; value: unknown };
    return { key, value: itemValue === undefined ? null : itemValue };
  });
}

function bool(body: Body, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw malformed(`${field} must be a boolean`, { field });
  return value;
}

function version(body: Body): string | undefined {
  const value = body.version;
  if (value === undefined || value === null) return undefined;
  // Like OpenWhisk's SemVer parsing: one to three numbers, the missing ones are 0 ("1.0" is 1.0.0).
  if (typeof value !== 'string' || !/^\d+(\.\d+){0,2}$/.test(value)) throw malformed('version must be a semantic version like 0.0.1', { value });
  const parts = value.split('.').map(Number);
  while (parts.length < 3) parts.push(0);
  return parts.join('.');
}

/**
 * Parameters.size of OpenWhisk: per distinct key, the key's bytes plus its value's compact JSON bytes
 * (a later duplicate key replaces an earlier one, as in the controller's map).
 */
export function keyValuesSize(items: KeyValue[]): number {
  const byKey = new Map<string, unknown>();
  for (const { key, value } of items) byKey.set(key, value);
  let size = 0;
  for (const [key, value] of byKey) size += Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value ?? null));
  return size;
}

/** Exec.size: the code's bytes plus the entry point's (sequences: their components'). */
function execSize(exec: unknown): number | undefined {
  if (typeof exec !== 'object' || exec === null) return undefined;
  const { code, main, components } = exec as Body;
  if (Array.isArray(components)) return components.reduce<number>((sum, component) => sum + (typeof component === 'string' ? Buffer.byteLength(component) : 0), 0);
  if (typeof code !== 'string') return undefined;
  return Buffer.byteLength(code) + (typeof main === 'string' ? Buffer.byteLength(main) : 0);
}

/**
 * LimitedWhiskEntityPut.isWithinSizeLimits: exec against the code limit, then parameters and
 * annotations against the parameter size limit; the first one over is a 413 naming the field.
 */
function checkSizes(body: Body, parameters: KeyValue[] | undefined, annotations: KeyValue[] | undefined, limits: SystemLimits): void {
  const code = execSize(body.exec);
  if (code !== undefined && code > limits.codeBytes) throw tooLarge('exec', code, limits.codeBytes);
  for (const [field, items] of [['parameters', parameters], ['annotations', annotations]] as const) {
    if (!items) continue;
    const size = keyValuesSize(items);
    if (size > limits.parameterBytes) throw tooLarge(field, size, limits.parameterBytes);
  }
}

function base(body: Body, qualified: QualifiedName, previous: EntityBase | undefined, now: number, limits: SystemLimits) {
  const parameters = keyValues(body, 'parameters');
  const annotations = keyValues(body, 'annotations');
  checkSizes(body, parameters, annotations, limits);
  return {
    namespace: entityNamespaceOf(qualified),
    name: qualified.name,
    version: previous ? nextVersion(previous.version) : version(body) ?? '0.0.1',
    publish: bool(body, 'publish') ?? previous?.publish ?? false,
    annotations: annotations ?? previous?.annotations ?? [],
    parameters,
    updated: now,
  };
}

function limitsOf(body: Body, previous: ActionLimits | undefined, bounds: SystemLimits['action']): ActionLimits {
  const given = body.limits;
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) throw malformed('limits must be an object');
  const input = (given ?? {}) as Body;
  const pick = (field: keyof ActionLimits): number => {
    const value = input[field];
    if (value === undefined || value === null) return previous?.[field] ?? bounds[field].std;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw malformed(`limits.${field} must be an integer`, { field, value });
    return value;
  };
  const limits: ActionLimits = { timeout: pick('timeout'), memory: pick('memory'), logs: pick('logs'), concurrency: pick('concurrency') };
  // Texts of the real TimeLimit / MemoryLimit / LogLimit / ConcurrencyLimit checks.
  const check = (ok: boolean, text: string) => { if (!ok) throw malformed(text, { limits }); };
  check(limits.timeout >= bounds.timeout.min, `duration ${limits.timeout} milliseconds below allowed threshold of ${bounds.timeout.min} milliseconds`);
  check(limits.timeout <= bounds.timeout.max, `duration ${limits.timeout} milliseconds exceeds allowed threshold of ${bounds.timeout.max} milliseconds`);
  check(limits.memory >= bounds.memory.min, `memory ${limits.memory} MB below allowed threshold of ${bounds.memory.min} MB`);
  check(limits.memory <= bounds.memory.max, `memory ${limits.memory} MB exceeds allowed threshold of ${bounds.memory.max} MB`);
  check(limits.logs >= bounds.logs.min, `log size ${limits.logs} MB below allowed threshold of ${bounds.logs.min} MB`);
  check(limits.logs <= bounds.logs.max, `log size ${limits.logs} MB exceeds allowed threshold of ${bounds.logs.max} MB`);
  check(limits.concurrency >= bounds.concurrency.min, `concurrency ${limits.concurrency} below allowed threshold of ${bounds.concurrency.min}`);
  check(limits.concurrency <= bounds.concurrency.max, `concurrency ${limits.concurrency} exceeds allowed threshold of ${bounds.concurrency.max}`);
  return limits;
}

function execOf(body: Body, previous: ActionExec | undefined, limits: SystemLimits, kinds: KindCatalog): ActionExec {
  const given = body.exec;
  if (given === undefined || given === null) {
    if (previous) return previous;
    throw badRequest('exec undefined', { field: 'exec' });
  }
  if (typeof given !== 'object' || Array.isArray(given)) throw malformed('exec must be an object');
  const exec = given as Body;
  if (typeof exec.kind !== 'string') throw malformed("exec.kind undefined", { field: 'exec.kind' });
  // Stored as the concrete kind (`python:default` -> `python:3.11`), as the controller stores it.
  const kind = kinds.resolve(exec.kind);
  if (kind === undefined) throw badRequest(Messages.unsupportedKind(exec.kind, kinds.acceptedKinds()), { kind: exec.kind });
  if (kind === 'sequence') {
    const components = exec.components;
    if (!Array.isArray(components) || components.length === 0) throw badRequest(Messages.sequenceNoComponent);
    if (!components.every((component): component is string => typeof component === 'string')) throw malformed('exec.components must be strings');
    return { kind, components };
  }
  const code = exec.code;
  if (typeof code !== 'string') throw malformed("exec.code must be a string", { field: 'exec.code' });
  // OpenWhisk decides from the content (Exec.isBinaryCode): wsk, wskdeploy and the npm client send a
  // base64 zip as `code` without `binary: true`.
  const binary = exec.binary === true || isBinaryCode(code);
  if (exec.main !== undefined && typeof exec.main !== 'string') throw malformed('exec.main must be a string');
  return { kind, code, binary, ...(typeof exec.main === 'string' && exec.main ? { main: exec.main } : {}) };
}

const BASE64 = /^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$/;

/** Exec.isBinaryCode: non-empty trimmed code of base64 characters whose length is a multiple of 4. */
export function isBinaryCode(code: string): boolean {
  const trimmed = code.trim();
  return trimmed.length > 0 && trimmed.length % 4 === 0 && BASE64.test(trimmed);
}

export interface BuildOptions {
  now: number;
  limits: SystemLimits;
  /** When set, a new action without `provide-api-key` gets `provide-api-key: false` (real feature flag). */
  requireApiKeyAnnotation: boolean;
  /** The kinds this platform runs (default: the Node.js of this process alone). */
  kinds?: KindCatalog;
}

export function buildAction(body: Body, qualified: QualifiedName, previous: ActionEntity | undefined, options: BuildOptions): ActionEntity {
  const common = base(body, qualified, previous, options.now, options.limits);
  const exec = execOf(body, previous?.exec, options.limits, options.kinds ?? NODE_ONLY_KINDS);
  const annotations = common.annotations.filter((annotation) => annotation.key !== 'exec');
  if (!previous && options.requireApiKeyAnnotation && annotationValue(annotations, 'provide-api-key') === undefined) {
    annotations.push({ key: 'provide-api-key', value: false });
  }
  // Like WhiskActionsApi.amendAnnotations: the exec kind is recorded as an annotation.
  annotations.push({ key: 'exec', value: exec.kind === 'sequence' ? 'sequence' : exec.kind });
  return {
    ...common,
    annotations,
    parameters: common.parameters ?? previous?.parameters ?? [],
    exec,
    limits: limitsOf(body, previous?.limits, options.limits.action),
  };
}

export function buildPackage(body: Body, qualified: QualifiedName, previous: PackageEntity | undefined, options: BuildOptions): PackageEntity {
  const common = base(body, qualified, previous, options.now, options.limits);
  const entity: PackageEntity = { ...common, parameters: common.parameters ?? previous?.parameters ?? [] };
  const binding = body.binding;
  const hasBinding = typeof binding === 'object' && binding !== null && Object.keys(binding).length > 0;
  if (hasBinding) {
    const { namespace, name } = binding as Body;
    if (typeof namespace !== 'string' || typeof name !== 'string' || !isValidEntityName(name)) {
      throw malformed('binding must be {namespace, name}', { binding });
    }
    if (previous && !previous.binding) throw badRequest(Messages.packageCannotBecomeBinding);
    entity.binding = { namespace, name };
  } else if (previous?.binding) {
    entity.binding = previous.binding;
  }
  return entity;
}

export function buildTrigger(body: Body, qualified: QualifiedName, previous: TriggerEntity | undefined, options: BuildOptions): TriggerEntity {
  const common = base(body, qualified, previous, options.now, options.limits);
  return { ...common, parameters: common.parameters ?? previous?.parameters ?? [], limits: {} };
}

export function buildRule(
  body: Body,
  qualified: QualifiedName,
  previous: RuleEntity | undefined,
  references: { trigger: QualifiedName; action: QualifiedName },
  options: BuildOptions,
): RuleEntity {
  const { parameters: _ignored, ...common } = base(body, qualified, previous, options.now, options.limits);
  // The Go client always sends `"status": ""`; OpenWhisk's rule PUT has no status and ignores it.
  const status = body.status === '' ? undefined : body.status;
  if (status !== undefined && status !== 'active' && status !== 'inactive') throw badRequest("status must be 'active' or 'inactive'", { status });
  const split = (reference: QualifiedName) => ({
    path: entityNamespaceOf(reference),
    name: reference.name,
  });
  return {
    ...common,
    status: (status as RuleEntity['status'] | undefined) ?? previous?.status ?? 'active',
    trigger: split(references.trigger),
    action: split(references.action),
  };
}
