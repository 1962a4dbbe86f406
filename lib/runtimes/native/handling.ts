/**
 * One handling of one orchestrator event: the context it runs in, and the helpers every part of
 * the orchestrator shares (the warm cache's transition reads, the clock, action names).
 */
import { docIds, type InvokeDoc, type RunFailure, type StageDoc } from '../../store/run-documents';
import type { RunStore, StoredDoc } from '../../store/run-store';
import type { RunError } from '../../events/types';
import type { OrchestratorEvent, TaskContext } from './events';
import type { TaskInvoker } from './invoker';
import type { RunHead } from './run-head';
import { readShared, warmCacheOf, type WarmCache } from './warm-cache';

export interface OrchestratorContext {
  store: RunStore;
  invoker: TaskInvoker;
  /** Namespace that unqualified action names resolve in (`__OW_NAMESPACE`). */
  namespace: string;
  /** This orchestrator activation, recorded on claims and on failures it detects. */
  activationId: string;
  /** An invoke claim older than this without an activation id is taken over (its claimer died). */
  claimLeaseMs?: number;
  /** Activations known to have ended (ended-claimers.ts): their claims without an activation id are taken over at once. */
  endedClaimers?: ReadonlySet<string>;
  now?: () => number;
}

export type EventOutcome =
  | { outcome: 'started'; runId: string }
  | { outcome: 'recorded'; runId: string }
  | { outcome: 'duplicate'; runId: string }
  | { outcome: 'ignored'; runId: string; reason: string }
  /** An external event: delivered to a waiting run, kept for a later wait, or a duplicate. */
  | { outcome: 'delivered' | 'kept' | 'duplicate-event'; eventId: string; runId?: string };

/** One handling of one event: the context plus the token its claims carry. */
export interface Handling extends OrchestratorContext {
  /**
   * Unique per handling (activation ids are unique per activation, but tests and retried requests
   * can share one): a claim with this token is this handling's own, also when the store's answer to
   * its create was lost and a repeated create answered `exists`.
   */
  token: string;
  /** Handles another event inline (a child run's end, a refused invoke), as a handling of its own. */
  react(event: OrchestratorEvent): Promise<EventOutcome>;
  /** Creates a run head (create-only) and enters its first transition; whether this call created it. */
  beginRun(head: RunHead): Promise<boolean>;
}

/** An invoke claim this activation holds: created by it, or taken over from a dead claimer. */
export type OwnedClaim = StoredDoc<InvokeDoc>;

/**
 * An invoke claim older than this without an activation id is taken over (its claimer died between
 * claim and invoke). It must outlive the claimer's activation (the orchestrator's 300 s limit): a
 * claimer still retrying a throttled invoke must not be taken over, or its task would start twice.
 */
export const DEFAULT_LEASE_MS = 310_000;
/** Invokes in flight at once when one activation starts many tasks (each is one POST to the platform). */
export const INVOKE_PARALLELISM = 16;

export const cacheOf = (ctx: OrchestratorContext): WarmCache => warmCacheOf(ctx.store);

export function now(ctx: OrchestratorContext): number {
  return ctx.now ? ctx.now() : Date.now();
}

/** Transition documents never change once claimed: a warm container reads each at most once. */
export async function readStage(ctx: OrchestratorContext, runId: string, position: number): Promise<StoredDoc<StageDoc> | undefined> {
  const id = docIds.stage(runId, position);
  const cache = cacheOf(ctx);
  const cached = cache.stages.get(id);
  if (cached) return cached;
  const doc = await readShared(cache, id, () => ctx.store.get<StageDoc>(id));
  if (doc) cache.stages.set(id, doc);
  return doc;
}

/** `sum` → `/guest/sum`; `pkg/sum` → `/guest/pkg/sum`; fully qualified names are kept. */
export function qualify(action: string, namespace: string): string {
  return action.startsWith('/') ? action : `/${namespace}/${action}`;
}

export function isSelfReporting(ctx: OrchestratorContext, run: RunHead, action: string): boolean {
  return run.selfReporting.includes(action) || run.selfReporting.includes(qualify(action, ctx.namespace));
}

export const attemptEventId = (task: TaskContext): string => `${task.runId}/${task.position}/${task.index}/${task.attempt}`;

/**
 * A core run error as stored (RunFailure): with a cause (the error's name when it has none), and
 * its activation when a task's failure named one. A failure the core decided itself (a data path, a
 * choice, a `fail` stage) names none, as under the streaming engine.
 */
export function storedFailure(error: RunError): RunFailure {
  const { activationId } = error;
  return {
    error: error.error, cause: error.cause ?? error.error,
    ...(error.stageId !== undefined ? { stageId: error.stageId } : {}),
    ...(activationId !== undefined ? { activationId } : {}),
  };
}
