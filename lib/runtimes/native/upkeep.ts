/**
 * The upkeep `whiskflow local` runs next to its platform, so that no run hangs silently:
 *
 * - the sweep (sweep.ts) on a schedule: completions lost with a dead orchestrator activation,
 *   attempts claimed but never invoked and starts that never began are repaired without anyone
 *   knowing the word "sweep"; attempts invoked before this platform started whose activation never
 *   got a record (the platform stopped while they ran) fail with `whiskflow.ActivationLost`, so
 *   retry/catch apply and runs interrupted by a restart finish by themselves;
 * - a watch of the orchestrator's failed activations: an orchestrator that cannot reach its store or
 *   the platform (every activation failing `STORE_UNAVAILABLE`) is said on the console, concisely
 *   and without credentials, instead of only in activation records nobody reads.
 *
 * On a real OpenWhisk, `whiskflow deploy --sweep-cron` runs the same sweep from an alarm.
 */
import { randomUUID } from 'node:crypto';
import type { RunStore } from '../../store/run-store';
import { ORCHESTRATOR_ACTION } from '../../openwhisk/names';
import { OpenWhiskTaskInvoker } from './invoker';
import type { ActionsClient } from '../../openwhisk/client';
import type { LostStartClient } from './lost-starts';
import { errorText } from './redelivery-check';
import { sweepRuns, type SweepReport } from './sweep';
import { readEventKey, type ActionReader } from '../../openwhisk/event-key';

export interface UpkeepOptions {
  store: RunStore;
  client: LostStartClient & ActionsClient & ActionReader;
  /** Time between two rounds; the first round runs after one interval, or 3 s if that is shorter. */
  intervalMs: number;
  /** Passed to the sweep: only tasks invoked (and starts fired) at least this long ago. */
  staleAfterMs: number;
  /** When the platform started: attempts invoked before it without a record are lost. */
  platformStartedAt: number;
  log: (message: string) => void;
  /** Called after each round (tests). */
  onRound?: (round: UpkeepRound) => void;
}

export interface UpkeepRound {
  sweep?: SweepReport;
  /** Failed orchestrator activations seen since the previous round. */
  orchestratorFailures: number;
  error?: string;
}

export interface Upkeep {
  /** Runs one round now (a round in progress is waited for instead). */
  runOnce(): Promise<UpkeepRound>;
  stop(): Promise<void>;
}

/** When the first round runs after the start (at most; a shorter interval comes first). */
const FIRST_ROUND_AFTER_MS = 3_000;

const ORCHESTRATOR_NAME = ORCHESTRATOR_ACTION.slice(ORCHESTRATOR_ACTION.lastIndexOf('/') + 1);

export function startUpkeep(options: UpkeepOptions): Upkeep {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<UpkeepRound> | undefined;
  let failuresSince = options.platformStartedAt;
  // The last error logged, so that a store that stays down is said once, then when it changes.
  let lastProblem = '';
  const activationId = `whiskflow-local-sweep/${randomUUID()}`;

  const round = async (): Promise<UpkeepRound> => {
    const result: UpkeepRound = { orchestratorFailures: 0 };
    const problems: string[] = [];
    try {
      const { failures, newest, sample } = await orchestratorFailures(options.client, failuresSince);
      failuresSince = Math.max(failuresSince, newest + 1);
      result.orchestratorFailures = failures;
      if (sample) problems.push(`${failures} orchestrator activation(s) failed, e.g. ${sample}`);
    } catch (error) {
      problems.push(`cannot read the orchestrator's activations: ${errorText({ error: describe(error) })}`);
    }
    try {
      // Read each round: the runtime (and its event key) may be deployed after the platform started.
      const eventKey = await readEventKey(options.client);
      const resume = { invoker: new OpenWhiskTaskInvoker(options.client, () => Date.now() + 60_000, eventKey), namespace: '_', activationId };
      const sweep = await sweepRuns({ store: options.store, client: options.client, staleAfterMs: options.staleAfterMs, resume, lostBefore: options.platformStartedAt, ...(eventKey ? { eventKey } : {}) });
      result.sweep = sweep;
      logSweep(options.log, sweep);
      if (sweep.failedRedeliveries > 0) problems.push(`${sweep.failedRedeliveries} re-delivered completion(s) failed again`);
    } catch (error) {
      result.error = errorText({ error: describe(error) });
      problems.push(`sweep failed: ${result.error}`);
    }
    const problem = problems.join('; ');
    // Counts and activation ids aside, the same problem is said once, not every round.
    const key = problem.replace(/[0-9a-f]{32}|\d+/g, '#');
    if (problem && key !== lastProblem) options.log(`runs are not advancing: ${problem}`);
    else if (!problem && lastProblem) options.log('the orchestrator handles events again');
    lastProblem = problem ? key : '';
    options.onRound?.(result);
    return result;
  };

  const runOnce = (): Promise<UpkeepRound> => {
    inFlight ??= round().finally(() => { inFlight = undefined; });
    return inFlight;
  };
  const schedule = (delayMs = options.intervalMs) => {
    if (stopped) return;
    timer = setTimeout(() => { void runOnce().finally(() => schedule()); }, delayMs);
    timer.unref();
  };
  // The first round soon: runs interrupted by a crash of the previous platform are stale at once
  // (the sweep's lostBefore), and nobody should wait a whole interval for their repair.
  schedule(Math.min(options.intervalMs, FIRST_ROUND_AFTER_MS));
  return {
    runOnce,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}

function logSweep(log: (message: string) => void, sweep: SweepReport): void {
  for (const item of sweep.redelivered) {
    const handled = item.handled === 'failed' ? ` - failed again: ${item.error}` : '';
    log(`sweep: run ${item.runId} stage #${item.position} task ${item.index}: completion (${item.outcome}) re-delivered${handled}`);
  }
  if (sweep.resumed > 0) log(`sweep: ${sweep.resumed} attempt(s) claimed but never invoked started`);
  if (sweep.followUps.length > 0) log(`sweep: ${sweep.followUps.length} recorded completion(s) fired again, whose next steps were lost (e.g. run ${sweep.followUps[0]?.runId} stage #${sweep.followUps[0]?.position} task ${sweep.followUps[0]?.index})`);
  for (const item of sweep.restarted) log(`sweep: start of ${item.runId !== undefined ? `run ${item.runId}` : `start ${item.startKey}`} (${item.workflow}) fired again`);
  for (const item of sweep.childEnds) log(`sweep: end of child run ${item.runId} reported to run ${item.parentRunId} again`);
}

interface ListedActivation { activationId?: string; start?: number; response?: { success?: boolean; result?: unknown } }

/** Failed orchestrator activations that started at or after `since` (newest first, one page). */
async function orchestratorFailures(client: LostStartClient, since: number): Promise<{ failures: number; newest: number; sample?: string }> {
  const listed = await client.activations.list({ name: ORCHESTRATOR_NAME, since, limit: 200, docs: true });
  const records = Array.isArray(listed) ? (listed as ListedActivation[]) : [];
  let newest = since - 1;
  let failures = 0;
  let sample: string | undefined;
  for (const record of records) {
    newest = Math.max(newest, record.start ?? 0);
    if (record.response?.success !== false) continue;
    failures += 1;
    sample ??= `activation ${record.activationId ?? '?'}: ${errorText(record.response.result)}`;
  }
  return { failures, newest, ...(sample ? { sample } : {}) };
}

function describe(error: unknown): { message: string; code?: string } {
  const code = (error as { code?: unknown }).code;
  return { message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) };
}
