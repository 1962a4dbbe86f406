/**
 * A start the orchestrator refuses (an invalid definition on the trigger, a workflow that is not
 * deployed, an input it cannot read) is recorded as a failed run, so that it shows where users look
 * (`whiskflow runs`, `whiskflow status <run>`) and not only in the orchestrator's activation record.
 *
 * Only refusals are recorded: a start that failed for a passing reason (throttling, a store that was
 * unreachable) is fired again by the sweep and must still be able to begin. The head is created
 * create-only, so a run that did begin is never overwritten; a start that names no run gets its run
 * id through its start key, as a start that begins does, so the sweep finds the start answered.
 */
import { ensureError, hasErrorCode } from '../../errors';
import { claim } from '../../store/claims';
import { docIds, type StartDoc } from '../../store/run-documents';
import { createRunHead, refusedStartHead } from '../../store/run-records';
import type { RunStore } from '../../store/run-store';
import type { OrchestratorEvent } from './events';

type StartEvent = Extract<OrchestratorEvent, { type: 'run.started' }>;

/** Errors that refuse a start for good: handling the same start again fails the same way. */
const REFUSALS = { INVALID_WORKFLOW: 'whiskflow.InvalidWorkflow', INVALID_INPUT: 'whiskflow.InvalidInput', ENTITY_NOT_FOUND: 'whiskflow.NotFound' } as const;

/** The run failure's error name of a refusal, undefined for any other error. */
function refusalName(thrown: unknown): string | undefined {
  const code = (Object.keys(REFUSALS) as (keyof typeof REFUSALS)[]).find((known) => hasErrorCode(thrown, known));
  return code && REFUSALS[code];
}

export function isStartRefusal(thrown: unknown): boolean {
  return refusalName(thrown) !== undefined;
}

export interface FailedStartContext {
  store: RunStore;
  activationId: string;
  now?: () => number;
}

/**
 * Records a refused start as a failed run; returns its run id, or undefined when `thrown` is no
 * refusal or the run had already begun. Never throws: the caller reports the refusal itself.
 */
export async function recordFailedStart(ctx: FailedStartContext, event: StartEvent, thrown: unknown): Promise<string | undefined> {
  const name = refusalName(thrown);
  if (!name) return undefined;
  const error = ensureError(thrown);
  const at = (ctx.now ?? Date.now)();
  try {
    // The start may have been refused before anything created the database (a wskdeploy deployment).
    await ctx.store.ensureReady();
    const runId = event.startKey
      ? (await claim<StartDoc>(ctx.store, docIds.start(event.startKey), { type: 'start', startKey: event.startKey, runId: event.runId, workflow: event.workflow, claimedAt: at })).doc.runId
      : event.runId;
    const head = refusedStartHead(
      { runId, workflow: event.workflow, input: event.input, ...(ctx.activationId !== undefined ? { startedBy: ctx.activationId } : {}) },
      { error: name, cause: error.message, ...(ctx.activationId !== undefined ? { activationId: ctx.activationId } : {}) },
      at,
    );
    return (await createRunHead(ctx.store, head)) ? runId : undefined;
  } catch {
    // The store itself failed: the activation record still carries the refusal.
    return undefined;
  }
}
