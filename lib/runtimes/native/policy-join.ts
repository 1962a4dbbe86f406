/**
 * Joins of map and parallel stages with a completion policy (`any`, `atLeast: k`, tolerated
 * failures; lib/conditions/completion.ts decides). Every outcome, success or failure for good, is
 * a create-only `result/…` document as usual; each completer then lists the stage's results and asks
 * the policy. Whoever sees it complete (or failed) proposes the next transition, and the create-only
 * claim of `stage/<run>/<position+1>` lets exactly one of concurrent deciders win: the k-th completion
 * decides once however many see it. The results that counted are the winner's: the first k
 * successes by the time they were stored (index breaks ties), passed on in index order; outcomes
 * stored after the decision are recorded and ignored.
 *
 * A listing per completion: fine for the small fan-outs these policies are for (hedged requests,
 * quorums); the plain all-of join keeps its buckets (join.ts).
 */
import { completionVerdict, isPlainAll, requiredSuccesses } from '../../conditions/completion';
import type { CompletionPolicy } from '../../model/workflow';
import { parkCompletion } from '../../core/park-tasks';
import { docIds, type ResultDoc, type StageDoc } from '../../store/run-documents';
import { now, readStage, type Handling } from './handling';
import { stopUndecidedBranches } from './cancel';
import { parkOf, parkOutcome } from './parks';
import { storedResults } from './results';
import type { RunHead } from './run-head';
import { startNextInWindow } from './join';
import { enter, failStage, proposeAfter } from './transitions';

/** The stage's completion policy when it is not the plain all-of, fail-fast join. */
export function completionPolicyOf(run: RunHead, stageDoc: StageDoc): CompletionPolicy | undefined {
  const policy = parkCompletion(parkOf(run, stageDoc));
  return isPlainAll(policy) ? undefined : policy;
}

/** After the outcome of task `index` was stored: complete, fail, or start the next of the window. */
export async function joinUnderPolicy(ctx: Handling, run: RunHead, stageDoc: StageDoc, policy: CompletionPolicy, index: number): Promise<void> {
  // Decided already: this outcome came late (left to finish, recorded, ignored).
  if (await readStage(ctx, run.runId, stageDoc.position + 1)) return;
  const results = storedResults(await ctx.store.listByPrefix<ResultDoc>(docIds.resultsPrefix(run.runId, stageDoc.position), { includeDocs: true }));
  const successes = results.filter((result) => result.ok);
  const failures = results.filter((result) => !result.ok);
  const verdict = completionVerdict(policy, { total: stageDoc.taskCount, succeeded: successes.length, failed: failures.length });
  if (verdict === 'pending') return startNextInWindow(ctx, run, stageDoc, index);
  if (verdict === 'failed') {
    // The failure that broke the policy: the latest stored (the core's is the one just applied).
    const [breaking] = [...failures].sort((a, b) => b.completedAt - a.completedAt || b.index - a.index);
    const failure = breaking?.failure ?? { error: 'whiskflow.CompletionUnreachable', cause: `stage ${stageDoc.stageId}`, stageId: stageDoc.stageId };
    await failStage(ctx, run, stageDoc, failure);
    return stopBranches(ctx, run, stageDoc);
  }
  const required = requiredSuccesses(policy);
  const counted = (required === 'all' ? successes : [...successes].sort(byArrival).slice(0, required)).sort((a, b) => a.index - b.index);
  const joined = { ok: true as const, values: counted.map((result) => result.result ?? null), indexes: counted.map((result) => result.index) };
  // Not with the next stage's task claims: concurrent deciders may have counted different results.
  await enter(ctx, run, proposeAfter(ctx, run, stageDoc, parkOutcome(ctx, run, stageDoc, joined)), false);
  await stopBranches(ctx, run, stageDoc);
}

/**
 * Decided: the parallel stage's branches of several stages still running start nothing more (the
 * core drops their threads); their running tasks are left to finish, recorded and ignored. Every
 * decider may do it: stopping a stopped branch changes nothing.
 */
async function stopBranches(ctx: Handling, run: RunHead, stageDoc: StageDoc): Promise<void> {
  if (parkOf(run, stageDoc).kind !== 'fork') return;
  await stopUndecidedBranches(ctx.store, run.runId, stageDoc.position, { reason: `stage ${stageDoc.stageId} was completed by its completion policy`, now: () => now(ctx) });
}

function byArrival(a: ResultDoc, b: ResultDoc): number {
  return a.completedAt - b.completedAt || a.index - b.index;
}
