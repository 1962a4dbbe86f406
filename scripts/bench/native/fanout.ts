/**
 * Phase 2: fan-out/fan-in, a `map` over n no-op tasks followed by a `reduce`: makespan, join latency
 * (last map no-op end → reduce no-op start) and where it goes, orchestrator activations, CouchDB
 * requests and CPU per task.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { toWorkflow } from '../../../lib/model/parse';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import { ruleOutcomes } from '../../../lib/openwhisk/deliver';
import { workflowTrigger } from '../../../lib/openwhisk/names';
import { requestRun } from '../../../lib/runs/run-client';
import { describeRun } from '../../../lib/runs/run-view';
import { docIds, type RunDoc, type StageDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { settle } from '../lib/child-platform';
import { messageOf } from '../lib/report';
import { rounded } from '../lib/stats';
import { coldStarts, isColdStart, listActivations, type ActivationSummary, type OrchestratorTrace } from './activations';
import { diffCounts, type CouchCounts } from './couch-proxy';
import { cpuDiff, cpuSample, type CpuSample } from './cpu';
import { bareInvocations, type BareResult } from './bare';
import { FANOUT_WORKFLOW, MAP_NOOP, ORCHESTRATOR, REDUCE_NOOP, TASK, writeProgress, type Client, type Context } from './context';

export interface FanoutResult {
  tasks: number;
  ok: boolean;
  status: string;
  runId: string;
  makespanMs: number;
  tasksPerSecond: number;
  /** Last map no-op activation end → the reduce no-op activation start. */
  joinLatencyMs: number;
  /** How the last map no-op's completion travelled: its end → the conductor run that reports it → the last map result stored. */
  lastMapTask: { noopEndToReportingConductorStartMs?: number; reportingConductorMs?: number; reportingConductorEndToLastResultMs?: number };
  /** The last map task's completion: no-op end → its trigger fire → the orchestrator activation handling it (start, duration, store/invoke steps). */
  lastCompletion?: { noopEndToFireMs: number; fireToOrchestratorStartMs?: number; orchestratorMs?: number; orchestratorTimeline?: string[] } | undefined;
  /** The same join from the store: last map result written → reduce stage claimed. */
  storeJoin: { lastMapResultAt?: number; reduceStageStartedAt?: number; lastResultToReduceStageMs?: number; reduceStageToReduceNoopStartMs?: number };
  /** The orchestrator activation that claimed the reduce stage (the join): when it started after the last map no-op ended, and its trace. */
  joinActivation?: { startAfterLastMapEndMs: number; durationMs: number; cold: boolean; trace?: OrchestratorTrace };
  mapNoopActivations: number;
  reduceNoopActivations: number;
  orchestratorActivations: number;
  orchestratorActivationsPerTask: number;
  /** Task conductor records: each composition's own record and its conductor runs. */
  taskConductorActivations: number;
  /** Activations of the workflow's trigger (the run's start and every completion fired). */
  triggerFires: number;
  firesPerTask: number;
  /** Every activation record of the run (user no-ops, conductor compositions and runs, orchestrator, trigger) per task. */
  activationsPerTask: number;
  /** Activations that paid a cold start, by action. */
  coldStarts: Record<string, number>;
  couchRequests: CouchCounts | null;
  couchRequestsPerTask: { total: number; whiskflowDb: number } | null;
  cpuMsPerTask: CpuSample;
  settled: boolean;
  /** The same no-op invocations with no orchestration, measured just before this run (bare.ts). */
  bare?: BareResult;
  /** makespanMs / bare.makespanMs */
  makespanOverBare?: number;
  /**
   * CPU per task (controller + containers + CouchDB) over the bare invocations'. On 2 cores both runs
   * are CPU-bound, so this says how much more work per task the platform does; the makespan ratio
   * stays below it because the bare run's client (this process, not counted) takes CPU too.
   */
  cpuOverBare?: number;
}

const cpuTotal = (sample: CpuSample): number => sample.controllerMs + sample.containersMs + sample.couchMs;

async function fanoutOnce(ctx: Context, tasks: number): Promise<FanoutResult> {
  const { ow, store, proxy } = ctx;
  const input = { items: Array.from({ length: tasks }, (_, i) => ({ i })) };
  const deadline = Date.now() + Math.min(ctx.options.runTimeoutMs + tasks * 300, ctx.options.maxRunMs ?? Number.POSITIVE_INFINITY);
  await settle(ctx.platform);
  const couchBefore = proxy?.snapshot();
  const cpuBefore = cpuSample(ctx.platform.pid, ctx.couchPids);
  const t0 = Date.now();
  const { runId } = await requestRun(ow, FANOUT_WORKFLOW, input);
  let lastReport = Date.now();
  let progress = { count: -1, at: Date.now() };
  let run: RunDoc | undefined;
  for (;;) {
    run = await store.get<RunDoc>(docIds.run(runId));
    if (run && run.status !== 'running') break;
    if (Date.now() > deadline) throw new Error(`fan-out of ${tasks}: run ${runId} still running at the deadline${await failedOrchestrations(ow, t0)}`);
    if (Date.now() - lastReport > 15_000) {
      lastReport = Date.now();
      const done = (await ow.activations.list({ name: MAP_NOOP, since: t0, count: true })) as unknown as { activations: number };
      console.log(`    ... ${done.activations}/${tasks} map tasks done after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      if (done.activations !== progress.count) progress = { count: done.activations, at: Date.now() };
      else if (Date.now() - progress.at > ctx.options.stallMs) {
        throw new Error(`fan-out of ${tasks}: run ${runId} stalled: ${progress.count}/${tasks} map tasks done, none for ${ctx.options.stallMs} ms${await failedOrchestrations(ow, t0)}`);
      }
    }
    await sleep(tasks >= 1000 ? 500 : 100);
  }
  const settled = await settle(ctx.platform);
  const cpuAfter = cpuSample(ctx.platform.pid, ctx.couchPids);
  // The activation store writes records behind (~200 ms batches): let the last batch go out.
  await sleep(500);
  const couch = proxy && couchBefore ? diffCounts(proxy.snapshot(), couchBefore) : null;
  const end = run.endedAt ?? Number.NaN;
  const [maps, reduces, orchestrations, conductors, fires] = await Promise.all([
    listActivations(ow, MAP_NOOP, t0), listActivations(ow, REDUCE_NOOP, t0),
    listActivations(ow, ORCHESTRATOR, t0), listActivations(ow, TASK, t0), listActivations(ow, workflowTrigger(FANOUT_WORKFLOW), t0),
  ]);
  const lastMapEnd = Math.max(...maps.map((record) => record.end ?? record.start));
  const lastMap = maps.find((record) => (record.end ?? record.start) === lastMapEnd);
  const reduceStart = reduces.length ? Math.min(...reduces.map((record) => record.start)) : Number.NaN;
  const view = await describeRun(store, runId, false);
  const mapStage = view?.stages.find((stage) => stage.stageId === 'map');
  const reduceStage = view?.stages.find((stage) => stage.stageId === 'reduce');
  const totalTasks = tasks + 1;
  const whiskflowDb = couch?.byDatabase.whiskflow ?? 0;
  return {
    tasks,
    ok: run.status === 'succeeded' && maps.length === tasks && reduces.length === 1,
    status: run.status,
    runId,
    makespanMs: end - t0,
    tasksPerSecond: (totalTasks * 1000) / (end - t0),
    joinLatencyMs: reduceStart - lastMapEnd,
    storeJoin: {
      ...(mapStage?.endedAt !== undefined ? { lastMapResultAt: mapStage.endedAt } : {}),
      ...(reduceStage ? { reduceStageStartedAt: reduceStage.startedAt } : {}),
      ...(mapStage?.endedAt !== undefined && reduceStage ? { lastResultToReduceStageMs: reduceStage.startedAt - mapStage.endedAt } : {}),
      ...(reduceStage ? { reduceStageToReduceNoopStartMs: reduceStart - reduceStage.startedAt } : {}),
    },
    lastMapTask: lastMap ? reportingPath(lastMap, conductors, mapStage?.endedAt) : {},
    lastCompletion: lastMap ? await lastCompletionPath(ow, lastMap, conductors) : undefined,
    ...(reduceStage ? await joinActivation(ow, store, runId, reduceStage.position, lastMapEnd) : {}),
    mapNoopActivations: maps.length,
    reduceNoopActivations: reduces.length,
    orchestratorActivations: orchestrations.length,
    orchestratorActivationsPerTask: orchestrations.length / totalTasks,
    taskConductorActivations: conductors.length,
    triggerFires: fires.length,
    firesPerTask: fires.length / totalTasks,
    activationsPerTask: (maps.length + reduces.length + orchestrations.length + conductors.length + fires.length) / totalTasks,
    coldStarts: { orchestrator: coldStarts(orchestrations), task: coldStarts(conductors), mapNoop: coldStarts(maps), reduceNoop: coldStarts(reduces) },
    couchRequests: couch,
    couchRequestsPerTask: couch ? { total: couch.total / totalTasks, whiskflowDb: whiskflowDb / totalTasks } : null,
    cpuMsPerTask: rounded(cpuDiff(cpuAfter, cpuBefore, totalTasks)),
    settled,
  };
}

/** Orchestrator activations since `since` that did not succeed, for an error message. */
async function failedOrchestrations(ow: Client, since: number): Promise<string> {
  const failed = (await listActivations(ow, ORCHESTRATOR, since)).filter((record) => record.statusCode !== undefined && record.statusCode !== 0);
  if (!failed.length) return '';
  const shown = await Promise.all(failed.slice(0, 5).map(async (record) => {
    const full = await ow.activations.get({ name: record.activationId }).catch(() => undefined);
    return `${record.activationId} (${record.duration} ms: ${JSON.stringify(full?.response?.result ?? {}).slice(0, 160)})`;
  }));
  return `; ${failed.length} orchestrator activation(s) did not succeed, e.g. ${shown.join('; ')}`;
}

export async function fanout(ctx: Context) {
  const workflow = toWorkflow({
    name: FANOUT_WORKFLOW,
    stages: [
      { id: 'map', kind: 'map', action: MAP_NOOP, items: '$.items', ...(ctx.options.mapConcurrency ? { concurrency: ctx.options.mapConcurrency } : {}) },
      { id: 'reduce', kind: 'reduce', action: REDUCE_NOOP },
    ],
  });
  const deployed = await deployWorkflow(ctx.ow, ctx.store, workflow);
  if (deployed.missingActions.length) throw new Error(`fan-out workflow names missing actions ${deployed.missingActions.join(', ')}`);
  const errors: string[] = [];
  try {
    await fanoutOnce(ctx, 10);
  } catch (thrown) {
    errors.push(`warm-up: ${messageOf(thrown)}`);
  }
  const sizes = [...ctx.options.fanoutSizes, ...(ctx.options.fanout10k && !ctx.options.fanoutSizes.includes(10_000) ? [10_000] : [])];
  const results: FanoutResult[] = [];
  for (const tasks of sizes) {
    const started = performance.now();
    try {
      const bare = await bareInvocations(ctx, tasks);
      console.log(`  bare ${tasks} no-op invocations, ${bare.window} in flight: ${bare.makespanMs} ms${bare.failed ? ` (${bare.failed} failed)` : ''}`);
      const run = await fanoutOnce(ctx, tasks);
      const result: FanoutResult = { ...run, bare, makespanOverBare: run.makespanMs / bare.makespanMs, cpuOverBare: cpuTotal(run.cpuMsPerTask) / cpuTotal(bare.cpuMsPerTask) };
      results.push(result);
      writeProgress(ctx, 'fanout', results);
      console.log(`  fan-out ${tasks}: ${result.status}, makespan ${result.makespanMs} ms, join ${result.joinLatencyMs} ms, `
        + `orchestrator activations/task ${result.orchestratorActivationsPerTask.toFixed(2)}, CouchDB requests/task ${result.couchRequestsPerTask?.total.toFixed(1) ?? 'n/a'} `
        + `(whiskflow db ${result.couchRequestsPerTask?.whiskflowDb.toFixed(1) ?? 'n/a'}), ${result.makespanOverBare?.toFixed(2)}x bare, CPU per task ${result.cpuOverBare?.toFixed(2)}x bare's`);
    } catch (thrown) {
      errors.push(`fan-out ${tasks}: ${messageOf(thrown)}`);
      console.log(`  fan-out ${tasks}: FAILED after ${((performance.now() - started) / 1000).toFixed(0)} s: ${messageOf(thrown)}`);
    }
  }
  return { sizes, runs: results.map((result) => rounded(result)), errors };
}

/**
 * The reporting half of one task: the conductor run that follows the user action in the same
 * composition (both records have the composite activation as `cause`) fires the trigger; the
 * orchestrator activation it starts writes the result.
 */
function reportingConductorOf(noop: ActivationSummary, conductors: readonly ActivationSummary[]): ActivationSummary | undefined {
  const cause = (noop as { cause?: string }).cause;
  return cause ? conductors.filter((record) => (record as { cause?: string }).cause === cause && record.start >= noop.start).sort((a, b) => a.start - b.start).at(-1) : undefined;
}

function reportingPath(noop: ActivationSummary, conductors: readonly ActivationSummary[], lastResultAt: number | undefined): FanoutResult['lastMapTask'] {
  const noopEnd = noop.end ?? noop.start;
  const reporter = reportingConductorOf(noop, conductors);
  if (!reporter) return {};
  const reporterEnd = reporter.end ?? reporter.start;
  return {
    noopEndToReportingConductorStartMs: reporter.start - noopEnd,
    reportingConductorMs: reporterEnd - reporter.start,
    ...(lastResultAt !== undefined ? { reportingConductorEndToLastResultMs: lastResultAt - reporterEnd } : {}),
  };
}

/**
 * After the last map task's reporting conductor: its trigger fire (the conductor's result names the
 * trigger activation), and the orchestrator activation the rule started for it (the trigger
 * activation's rule line), so that the join's first part splits into conductor → fire →
 * orchestrator start → its store and invoke steps.
 */
async function lastCompletionPath(ow: Client, noop: ActivationSummary, conductors: readonly ActivationSummary[]): Promise<FanoutResult['lastCompletion']> {
  const noopEnd = noop.end ?? noop.start;
  const reporter = reportingConductorOf(noop, conductors);
  if (!reporter) return undefined;
  try {
    const reported = await ow.activations.get({ name: reporter.activationId });
    const triggerActivationId = (reported.response?.result as { params?: { triggerActivation?: string } } | undefined)?.params?.triggerActivation;
    if (!triggerActivationId) return undefined;
    const fire = await ow.activations.get({ name: triggerActivationId });
    const ruleLine = ruleOutcomes(fire.logs as unknown[] | undefined).find((line) => line.success && line.activationId);
    const orchestrator = ruleLine?.activationId ? await ow.activations.get({ name: ruleLine.activationId }) : undefined;
    const trace = (orchestrator?.response?.result as { trace?: OrchestratorTrace } | undefined)?.trace;
    return {
      noopEndToFireMs: fire.start - noopEnd,
      ...(orchestrator ? { fireToOrchestratorStartMs: orchestrator.start - fire.start, orchestratorMs: (orchestrator.end ?? orchestrator.start) - orchestrator.start } : {}),
      ...(trace ? { orchestratorTimeline: trace.timeline } : {}),
    };
  } catch {
    return undefined;
  }
}

/** The activation that decided the join (the reduce stage's claimer) and where its time went. */
async function joinActivation(ow: Client, store: RunStore, runId: string, position: number, lastMapEnd: number): Promise<Pick<FanoutResult, 'joinActivation'>> {
  const stage = await store.get<StageDoc>(docIds.stage(runId, position));
  if (!stage?.claimedBy) return {};
  try {
    const record = await ow.activations.get({ name: stage.claimedBy });
    // An orchestrator returns its trace; a task conductor that applied the completion, under `params`.
    const result = record.response?.result as { trace?: OrchestratorTrace; params?: { trace?: OrchestratorTrace } } | undefined;
    const trace = result?.trace ?? result?.params?.trace;
    return { joinActivation: { startAfterLastMapEndMs: record.start - lastMapEnd, durationMs: (record.end ?? record.start) - record.start, cold: isColdStart(record as ActivationSummary), ...(trace ? { trace } : {}) } };
  } catch {
    return {};
  }
}
