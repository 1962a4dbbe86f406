/**
 * What a running native run waits on, and since when (`whiskflow status`): the tasks of its current
 * stage without an outcome, each as claimed, running, or ended on the platform while the orchestrator
 * has not recorded its completion (the orchestrator failing, e.g. its store unreachable, or the
 * event lost: `whiskflow local` sweeps it, elsewhere `whiskflow sweep`). Read-only.
 */
import { docIds, type HeartbeatDoc, type InvokeDoc, type RunDoc, type StageDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { describeWait, waitOf } from '../../store/event-mailbox';
import { stageAttempts } from './stage-attempts';
import { heartbeatDue } from './due-attempts';

export interface RunWait {
  /** One line, for people. */
  what: string;
  /** Epoch ms the wait began. */
  since: number;
}

/** Reads one activation record; undefined while it has none (the client's 404). */
export interface ActivationReader {
  activations: { get(options: { name: string }): Promise<unknown> };
}

/** Tasks looked at in one status: a wide map shows its first few waits and a count. */
const SHOWN = 5;

export async function waitsOf(store: RunStore, run: RunDoc, platform?: ActivationReader): Promise<{ waits: RunWait[]; more: number }> {
  if (run.status !== 'running') return { waits: [], more: 0 };
  const [latest] = await store.listByPrefix<StageDoc>(docIds.stagesPrefix(run.runId), { includeDocs: true, descending: true, limit: 1 });
  const stage = latest?.doc;
  if (!stage) return { waits: [{ what: 'its first stage to be entered by the orchestrator', since: run.startedAt }], more: 0 };
  if (stage.end) return { waits: [{ what: `its ${stage.end.status} end to be recorded on the run (decided, not yet written: the sweep completes it)`, since: stage.startedAt }], more: 0 };
  // A wait stage invokes nothing: its stage document holds when it wakes (the sweep fires it then).
  if (stage.wakeAt !== undefined) return { waits: [{ what: `stage ${stage.stageId}: a timer, due ${new Date(stage.wakeAt).toISOString()} (fired by the sweep once due)`, since: stage.startedAt }], more: 0 };
  const { latest: claims, reported } = await stageAttempts(store, run.runId, stage.position);
  const open = [...claims.values()].filter((claim) => !reported.has(claim.index));
  const waits = await Promise.all(open.slice(0, SHOWN).map((claim) => (claim.eventWait ? eventWaitOf(store, stage, claim) : claim.callbackToken ? callbackWaitOf(store, stage, claim) : waitOfClaim(stage, claim, platform))));
  return { waits, more: Math.max(0, open.length - SHOWN) };
}

async function waitOfClaim(stage: StageDoc, claim: InvokeDoc, platform: ActivationReader | undefined): Promise<RunWait> {
  const task = `stage ${stage.stageId} task ${claim.index} attempt ${claim.attempt}`;
  if (claim.childRunId) return { what: `${task}: child run ${claim.childRunId}`, since: claim.invokedAt ?? claim.claimedAt };
  if (!claim.activationId) return { what: `${task}: claimed, not invoked yet`, since: claim.claimedAt };
  const record = platform ? await recordOf(platform, claim.activationId) : undefined;
  if (!record?.end) return { what: `${task}: running (activation ${claim.activationId})`, since: claim.invokedAt ?? claim.claimedAt };
  const outcome = record.response?.success === false ? 'failed' : 'ended';
  return {
    what: `${task}: activation ${claim.activationId} ${outcome}, its completion not recorded by the orchestrator yet (failing orchestrator activations, or a lost event: the sweep re-delivers it)`,
    since: record.end,
  };
}

/** A callback: the token to report it with, its timeout, and when its next heartbeat is due. */
async function callbackWaitOf(store: RunStore, stage: StageDoc, claim: InvokeDoc): Promise<RunWait> {
  const beat = claim.heartbeatMs !== undefined ? await store.get<HeartbeatDoc>(docIds.heartbeat(claim.runId, claim.position, claim.index, claim.attempt)) : undefined;
  const due = heartbeatDue(claim, beat);
  const limits = [
    ...(claim.deadline !== undefined ? [`times out ${new Date(claim.deadline).toISOString()}`] : []),
    ...(due !== undefined ? [`heartbeat due by ${new Date(due).toISOString()} (${beat ? `${beat.count} received, the latest ${new Date(beat.at).toISOString()}` : 'none received yet'})`] : []),
  ];
  return {
    what: `stage ${stage.stageId} task ${claim.index} attempt ${claim.attempt}: a callback, reported with whiskflow complete ${claim.callbackToken}${limits.length ? `; ${limits.join('; ')}` : ''}`,
    since: claim.invokedAt ?? claim.claimedAt,
  };
}

/** An event stage's wait: what it waits for (type, key) and until when. */
async function eventWaitOf(store: RunStore, stage: StageDoc, claim: InvokeDoc): Promise<RunWait> {
  const wait = await waitOf(store, claim.runId, stage.position);
  const since = claim.invokedAt ?? claim.claimedAt;
  if (!wait) return { what: `stage ${stage.stageId}: an event (its wait not registered yet)`, since };
  return { what: describeWait(wait), since: wait.since };
}

interface ActivationRecord { end?: number; response?: { success?: boolean } }

async function recordOf(platform: ActivationReader, activationId: string): Promise<ActivationRecord | undefined> {
  try {
    return (await platform.activations.get({ name: activationId })) as ActivationRecord;
  } catch {
    // No record (yet), or the platform unreachable: shown as running.
    return undefined;
  }
}
