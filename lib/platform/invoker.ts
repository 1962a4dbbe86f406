/**
 * Runs activations and records them: primitive actions in the action runtime, built-in actions
 * in-process, and sequences and conductor actions as compositions of further activations (the
 * controller's part in real OpenWhisk). Every activation ends as a record; nothing here rejects.
 */
import { randomUUID } from 'node:crypto';
import { ensureError } from '../errors';
import { ActivationRecord, responseOf, statusOfResult } from './activation-record';
import { ActionEntity, CodeExec, KeyValue, StoredCodeExec, annotationValue, isSequence, isStoredCode, isTruthy, paramsToObject, DEFAULT_NODEJS_KIND } from './entities';
import { SystemLimits } from './limits';
import { Messages } from './messages';
import { parseQualifiedName, pathOf } from './names';
import { ActivationStore } from './persistence/activation-store';
import type { Identity } from './persistence/subject-store';
import { ResolvedAction, Resolver } from './resolver';
import type { KindCatalog } from './runtime/kinds';
import type { ActionRuntime, RunnableAction, RunStatus } from './runtime/types';
import { Throttles } from './throttles';
import { PLATFORM_COUCHDB_ENV } from '../store/platform-couch';

/** An action served in-process by the platform (the built-in feed actions). */
export type BuiltinHandler = (params: Record<string, unknown>, caller: Identity) => Promise<Record<string, unknown>>;

export interface InvokerDeps {
  runtime: ActionRuntime;
  activations: ActivationStore;
  resolver: Resolver;
  throttles: Throttles;
  limits: SystemLimits;
  builtins: Map<string, BuiltinHandler>;
  /** URL actions use to call back (`__OW_API_HOST`); known once the server listens. */
  apiHost: () => string;
  /** When true, only actions annotated `provide-api-key: true` receive `__OW_API_KEY`. */
  requireApiKeyAnnotation: boolean;
  /** Resolves kinds stored before they were made concrete (`nodejs:default`). */
  kinds?: KindCatalog;
  /**
   * The platform's own CouchDB, for actions annotated `provide-platform-couchdb: true` (a local
   * extension, like `provide-api-key`): they read it from `__OW_LOCAL_COUCHDB_URL` at every
   * container start, so a store that moved (a restart on another port) is found without a redeploy.
   */
  platformCouchUrl?: string;
  /** Reads the code of an action whose code the entity store keeps on disk (EntityStore.readCode). */
  readCode?: (action: ActionEntity) => string;
}

/** Annotation of actions that get the platform's CouchDB URL (see InvokerDeps.platformCouchUrl). */
export const PLATFORM_COUCHDB_ANNOTATION = 'provide-platform-couchdb';

export interface InvocationRequest {
  caller: Identity;
  target: ResolvedAction;
  payload: Record<string, unknown>;
  /** Activation id of the enclosing sequence or conductor. */
  cause?: string;
  /** Shared counts of one conductor composition (limits apply across nested conductors). */
  budget?: CompositionBudget;
}

export interface Invocation {
  activationId: string;
  /** Resolves with the stored record; never rejects. */
  completion: Promise<ActivationRecord>;
}

interface CompositionBudget { components: number; conductorRuns: number }

type ActionStyle = 'primitive' | 'builtin' | 'sequence' | 'conductor';
type StyleRunner = (request: InvocationRequest, activationId: string) => Promise<ActivationRecord>;

export function newActivationId(): string {
  return randomUUID().replace(/-/g, '');
}

export class Invoker {
  private readonly runners: Record<ActionStyle, StyleRunner> = {
    primitive: (request, id) => this.runPrimitive(request, id),
    builtin: (request, id) => this.runBuiltin(request, id),
    sequence: (request, id) => this.runSequence(request, id),
    conductor: (request, id) => this.runConductor(request, id),
  };

  constructor(private readonly deps: InvokerDeps) {}

  /** Starts an activation; the id is known at once, the record when `completion` resolves. */
  invoke(request: InvocationRequest): Invocation {
    const activationId = newActivationId();
    const style = this.styleOf(request.target);
    // The record is written under the caller's namespace (record() below). The start is journaled
    // with what its record would say if the platform stopped before it ends (a lost activation).
    const action = request.target.action;
    this.deps.activations.started(request.caller.namespace, activationId, {
      namespace: request.caller.namespace, activationId, name: action.name, version: action.version, subject: request.caller.subject,
      start: Date.now(), ...(request.cause ? { cause: request.cause } : {}),
      annotations: style === 'sequence' || style === 'conductor' ? this.compositionAnnotations(request, style === 'conductor', action.limits) : this.baseAnnotations(request),
    });
    const runner = this.runners[style];
    const completion = runner(request, activationId).catch((error: unknown) =>
      this.record(request, activationId, {
        start: Date.now(), end: Date.now(), status: 'whisk internal error',
        result: { error: `The activation could not be run: ${ensureError(error).message}` }, logs: [], annotations: this.baseAnnotations(request),
      }));
    return { activationId, completion };
  }

  /** Drops warm containers of an action after it changed or was deleted. */
  forget(fqn: string): Promise<void> {
    return this.deps.runtime.evict(fqn);
  }

  private styleOf(target: ResolvedAction): ActionStyle {
    if (isSequence(target.action.exec)) return 'sequence';
    if (this.deps.builtins.has(target.fqn)) return 'builtin';
    // Conductor annotations are ignored on sequences (docs/conductors.md).
    if (isTruthy(annotationValue(target.action.annotations, 'conductor'))) return 'conductor';
    return 'primitive';
  }

  private mergedParams(request: InvocationRequest): Record<string, unknown> {
    return { ...request.target.inherited, ...paramsToObject(request.target.action.parameters), ...request.payload };
  }

  private baseAnnotations(request: InvocationRequest): KeyValue[] {
    const annotations: KeyValue[] = [{ key: 'path', value: pathOf(request.target.location) }];
    if (request.cause) annotations.push({ key: 'causedBy', value: 'sequence' });
    return annotations;
  }

  private record(
    request: InvocationRequest,
    activationId: string,
    parts: { start: number; end: number; duration?: number; status: RunStatus; result: Record<string, unknown>; logs: string[]; annotations: KeyValue[] },
  ): ActivationRecord {
    const action = request.target.action;
    const record: ActivationRecord = {
      namespace: request.caller.namespace,
      name: action.name,
      version: action.version,
      subject: request.caller.subject,
      activationId,
      start: parts.start,
      end: parts.end,
      duration: parts.duration ?? parts.end - parts.start,
      response: responseOf(parts.status, parts.result),
      logs: parts.logs,
      annotations: parts.annotations,
      publish: false,
      ...(request.cause ? { cause: request.cause } : {}),
    };
    this.deps.activations.add(record);
    return record;
  }

  private async runPrimitive(request: InvocationRequest, activationId: string): Promise<ActivationRecord> {
    const { target, caller } = request;
    const action = target.action;
    const exec = action.exec as CodeExec | StoredCodeExec;
    const kind = this.deps.kinds?.resolve(exec.kind) ?? (exec.kind === 'nodejs:default' ? DEFAULT_NODEJS_KIND : exec.kind);
    const runnable = withCode({
      fqn: target.fqn,
      revision: `${action.version}@${action.updated}`,
      namespace: target.location.namespace,
      kind,
      binary: exec.binary,
      main: exec.main ?? 'main',
      limits: action.limits,
      ...(this.deps.platformCouchUrl && isTruthy(annotationValue(action.annotations, PLATFORM_COUCHDB_ANNOTATION))
        ? { env: { [PLATFORM_COUCHDB_ENV]: this.deps.platformCouchUrl } } : {}),
    }, isStoredCode(exec) ? () => this.readStoredCode(action) : exec.code);
    const provideKey = this.deps.requireApiKeyAnnotation
      ? isTruthy(annotationValue(action.annotations, 'provide-api-key'))
      : annotationValue(action.annotations, 'provide-api-key') !== false;
    const requested = Date.now();
    const leave = this.deps.throttles.enter(caller.namespace);
    try {
      const outcome = await this.deps.runtime.run(runnable, {
        activationId,
        params: this.mergedParams(request),
        namespace: caller.namespace,
        actionName: `/${pathOf(target.location)}`,
        deadline: requested + action.limits.timeout,
        ...(provideKey ? { apiKey: `${caller.uuid}:${caller.key}` } : {}),
        apiHost: this.deps.apiHost(),
      });
      const annotations = this.baseAnnotations(request);
      annotations.push(
        { key: 'waitTime', value: outcome.waitTime },
        { key: 'kind', value: kind },
        { key: 'timeout', value: outcome.timedOut },
        { key: 'limits', value: action.limits },
      );
      if (outcome.cold && outcome.initTime !== undefined) annotations.push({ key: 'initTime', value: outcome.initTime });
      // As in OpenWhisk, a cold activation's start and duration include the time spent in /init.
      const start = outcome.cold && outcome.initTime !== undefined ? outcome.start - outcome.initTime : outcome.start;
      return this.record(request, activationId, { start, end: outcome.end, status: outcome.status, result: outcome.result, logs: outcome.logs, annotations });
    } finally {
      leave();
    }
  }

  /**
   * Never throws: it runs inside the runtime's container start. Code gone from disk (the action was
   * deleted meanwhile) starts the container without code, which fails its init as a developer error.
   */
  private readStoredCode(action: ActionEntity): string {
    try {
      return this.deps.readCode?.(action) ?? '';
    } catch {
      return '';
    }
  }

  private async runBuiltin(request: InvocationRequest, activationId: string): Promise<ActivationRecord> {
    const handler = this.deps.builtins.get(request.target.fqn);
    const start = Date.now();
    let status: RunStatus;
    let result: Record<string, unknown>;
    try {
      result = handler ? await handler(this.mergedParams(request), request.caller) : { error: Messages.actionRemovedWhileInvoking };
      status = statusOfResult(result);
    } catch (error) {
      // Feed actions report bad parameters as application errors, like the real alarms feed does.
      status = 'application error';
      result = { error: ensureError(error).message };
    }
    const annotations = this.baseAnnotations(request);
    annotations.push({ key: 'waitTime', value: 0 }, { key: 'kind', value: DEFAULT_NODEJS_KIND }, { key: 'timeout', value: false }, { key: 'limits', value: request.target.action.limits });
    return this.record(request, activationId, { start, end: Date.now(), status, result, logs: [], annotations });
  }

  /** Runs a component to completion as part of a composition. */
  private runComponent(request: InvocationRequest): Promise<ActivationRecord> {
    return this.invoke(request).completion;
  }

  private compositionAnnotations(request: InvocationRequest, conductor: boolean, limits: ActionEntity['limits']): KeyValue[] {
    const annotations: KeyValue[] = [];
    if (!request.cause) annotations.push({ key: 'topmost', value: true });
    annotations.push(...this.baseAnnotations(request));
    if (conductor) annotations.push({ key: 'conductor', value: true });
    annotations.push({ key: 'kind', value: 'sequence' }, { key: 'limits', value: limits });
    return annotations;
  }

  private async runSequence(request: InvocationRequest, activationId: string): Promise<ActivationRecord> {
    const start = Date.now();
    const exec = request.target.action.exec as { components: string[] };
    const componentIds: string[] = [];
    let input = this.mergedParams(request);
    let last: ActivationRecord | undefined;
    let failure: { status: RunStatus; result: Record<string, unknown> } | undefined;
    let duration = 0;
    for (const component of exec.components) {
      let target: ResolvedAction;
      try {
        const qualified = parseQualifiedName(component, request.target.location.namespace);
        if (!qualified) throw new Error(Messages.sequenceComponentNotFound);
        target = this.deps.resolver.resolveAction(request.caller, qualified);
      } catch {
        failure = { status: 'application error', result: { error: Messages.sequenceComponentNotFound } };
        break;
      }
      last = await this.runComponent({ caller: request.caller, target, payload: input, cause: activationId });
      componentIds.push(last.activationId);
      duration += last.duration ?? 0;
      if (!last.response.success) break;
      input = last.response.result;
    }
    const outcome = failure ?? (last ? { status: last.response.status, result: last.response.result } : { status: 'success' as RunStatus, result: input });
    return this.record(request, activationId, {
      start, end: Date.now(), duration, status: outcome.status, result: outcome.result, logs: componentIds,
      annotations: this.compositionAnnotations(request, false, request.target.action.limits),
    });
  }

  private async runConductor(request: InvocationRequest, activationId: string): Promise<ActivationRecord> {
    const start = Date.now();
    const max = this.deps.limits.sequenceMaxLength;
    const budget = request.budget ?? { components: 0, conductorRuns: 0 };
    const ids: string[] = [];
    let duration = 0;
    let params: Record<string, unknown> = request.payload;
    let end: { status: RunStatus; result: Record<string, unknown> } | undefined;
    while (!end) {
      if (budget.conductorRuns >= 2 * max + 1) { end = { status: 'application error', result: { error: Messages.compositionIsTooLong } }; break; }
      budget.conductorRuns += 1;
      const secondary = await this.runComponent({ caller: request.caller, target: { ...request.target, action: withoutConductor(request.target.action) }, payload: params, cause: activationId });
      ids.push(secondary.activationId);
      duration += secondary.duration ?? 0;
      const output = secondary.response.result;
      if (!secondary.response.success) { end = { status: secondary.response.status, result: output }; break; }
      if (output.action === undefined) {
        end = { status: 'success', result: output.params === undefined ? output : box(output.params, 'value') };
        break;
      }
      const qualified = typeof output.action === 'string' ? parseQualifiedName(output.action, request.caller.namespace) : undefined;
      if (!qualified) { end = { status: 'application error', result: { error: Messages.compositionComponentInvalid(output.action) } }; break; }
      let target: ResolvedAction;
      try {
        target = this.deps.resolver.resolveAction(request.caller, qualified);
      } catch (error) {
        const denied = (error as { status?: number }).status === 403;
        const name = String(output.action);
        end = { status: 'application error', result: { error: denied ? Messages.compositionComponentNotAccessible(name) : Messages.compositionComponentNotFound(name) } };
        break;
      }
      if (budget.components >= max) { end = { status: 'application error', result: { error: Messages.compositionIsTooLong } }; break; }
      budget.components += 1;
      const component = await this.runComponent({
        caller: request.caller, target, payload: output.params === undefined ? {} : box(output.params, 'value'), cause: activationId, budget,
      });
      ids.push(component.activationId);
      duration += component.duration ?? 0;
      if (component.response.status === 'whisk internal error') {
        end = { status: 'whisk internal error', result: { error: Messages.compositionActivationFailure } };
        break;
      }
      // A component's error result goes back to the conductor, which decides (Composer's try/catch relies on it).
      params = { ...component.response.result, ...(output.state === undefined ? {} : box(output.state, 'state')) };
    }
    return this.record(request, activationId, {
      start, end: Date.now(), duration, status: end.status, result: end.result, logs: ids,
      annotations: this.compositionAnnotations(request, true, request.target.action.limits),
    });
  }
}

/** Secondary conductor activations run the conductor's code as a plain action. */
function withoutConductor(action: ActionEntity): ActionEntity {
  return { ...action, annotations: action.annotations.filter((annotation) => annotation.key !== 'conductor') };
}

function box(value: unknown, key: string): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { [key]: value };
}

/**
 * The runnable action with its code: given, or read on demand. The runtime reads `code` only when it
 * starts a container, so a run in a warm container never reads code kept on disk.
 */
function withCode(action: Omit<RunnableAction, 'code'>, code: string | (() => string)): RunnableAction {
  if (typeof code === 'string') return { ...action, code };
  return Object.defineProperty({ ...action }, 'code', { get: code, enumerable: true }) as RunnableAction;
}
