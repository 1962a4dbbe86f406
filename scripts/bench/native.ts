/**
 * Benchmark of whiskflow's native (reactive) orchestrator on the local platform, side by side with
 * OpenWhisk's own orchestration in the same run:
 *
 * 1. per-transition overhead of N sequential no-op tasks, for (a) a whiskflow workflow of N `task`
 *    stages under the native orchestrator, (b) the same workflow under the streaming engine
 *    (`whiskflow engine` on Redis Streams and/or Kafka, `--streaming-backends`), (c) an OpenWhisk
 *    `sequence` action of N no-op components, (d) the same sequence as an openwhisk-composer
 *    composition (a conductor action). Systems are interleaved per size and repetition, so that
 *    background load hits all of them alike; ratios are reported.
 * 2. fan-out/fan-in: a `map` over n no-op tasks followed by a `reduce`: makespan, join latency (last
 *    map no-op end → reduce no-op start), orchestrator activations per task, CouchDB requests per task.
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench/native.js [--help]
 *
 * Needs the webpack bundles in dist/actions (`npm run build`). Writes bench-results/native.json.
 * Targets are reported with a pass flag, never asserted.
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import openwhisk from 'openwhisk';
import { niceLevel, nonNegativeInteger, positiveInteger } from '../../lib/cli/options';
import { choiceList, numberList } from './lib/option-lists';
import { DEFAULT_CONTAINER_NICE } from '../../lib/platform/runtime';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../lib/store/embedded-couch';
import { createRunStore, type StoreConfig } from '../../lib/store/config';
import type { RunStore } from '../../lib/store/run-store';
import { docIds, type RunDoc, type StageDoc } from '../../lib/store/run-documents';
import { toWorkflow } from '../../lib/model/parse';
import { DEFAULT_MAP_CONCURRENCY } from '../../lib/model/workflow';
import { deployRuntime } from '../../lib/deploy/runtime';
import { deployWorkflow } from '../../lib/deploy/workflow';
import type { ManagementClient } from '../../lib/openwhisk/client';
import { requestRun } from '../../lib/runs/run-client';
import { describeRun } from '../../lib/runs/run-view';
import { ruleOutcomes } from '../../lib/openwhisk/deliver';
import type { DeliveryClient } from '../../lib/openwhisk/client';
import { settle, startChildPlatform, type ChildPlatform } from './lib/child-platform';
import { childrenCpuMs, commandLine, descendants, readCpu } from './lib/proc';
import { hostInfo, messageOf, phaseRunner, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from './lib/report';
import { rounded, summarize, type Summary } from './lib/stats';
import { diffCounts, probeLatency, startCountingProxy, type CouchCounts, type CountingProxy } from './native/couch-proxy';
import { startStreamingEngine, stopStreamingEngine, type Backend, type StreamingEngine } from './streaming/processes';
import { startStreamRun } from '../../lib/engine/streaming';

type Client = ReturnType<typeof openwhisk>;
type BenchClient = Client & ManagementClient & DeliveryClient;
type ActivationSummary = { activationId: string; name: string; start: number; end?: number; duration?: number; statusCode?: number; annotations?: { key: string; value: unknown }[] };

/** Activations that paid a cold start (the record has an `initTime` annotation). */
const coldStarts = (records: readonly ActivationSummary[]) => records.filter((record) => record.annotations?.some((annotation) => annotation.key === 'initTime')).length;

interface Options {
  sequenceSizes: number[];
  repetitions: number;
  fanoutSizes: number[];
  fanout10k: boolean;
  maxContainers?: number;
  userMemoryMb?: number;
  containerNice: number;
  whiskflowConcurrency: number;
  whiskflowMemory?: number;
  couchProxy: boolean;
  separateRunStore: boolean;
  runTimeoutMs: number;
  maxRunMs?: number;
  stallMs: number;
  mapConcurrency?: number;
  streamingBackends: Backend[];
  out: string;
  platformEntry: string;
  actionsDir: string;
}

const NOOP = 'bench-noop';
const MAP_NOOP = 'bench-map-noop';
const REDUCE_NOOP = 'bench-reduce-noop';
const NOOP_CODE = 'function main() { return {}; }';
const ORCHESTRATOR = 'whiskflow/orchestrator';
const TASK = 'whiskflow/task';
const FANOUT_WORKFLOW = 'bench-fanout';
/** `whiskflow` is the native orchestrator; the streaming engine runs the same workflow per backend. */
type System = 'whiskflow' | StreamingSystem | 'openwhiskSequence' | 'composer';
type StreamingSystem = 'streamingRedis' | 'streamingKafka';
const STREAMING_SYSTEM: Record<Backend, StreamingSystem> = { redis: 'streamingRedis', kafka: 'streamingKafka' };
const BACKENDS: readonly Backend[] = ['redis', 'kafka'];

// ---- helpers --------------------------------------------------------------------------------

function statusCodeOf(thrown: unknown): number | undefined {
  const code = (thrown as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}


/** Every activation of `name` that started at or after `since`, through the list API (paged by 200). */
async function listActivations(ow: Client, name: string, since: number, upto?: number): Promise<ActivationSummary[]> {
  const found: ActivationSummary[] = [];
  for (let skip = 0; ; skip += 200) {
    const page = (await ow.activations.list({ name, since, ...(upto !== undefined ? { upto } : {}), limit: 200, skip })) as unknown as ActivationSummary[];
    found.push(...page);
    if (page.length < 200) break;
  }
  // Paging while records arrive could repeat one at a page edge.
  return [...new Map(found.map((record) => [record.activationId, record])).values()];
}

async function waitForActivation(ow: Client, activationId: string, deadline: number, pollMs: number): Promise<{ start: number; end: number; duration?: number; statusCode?: number; status?: string; logs?: string[] }> {
  for (;;) {
    try {
      const record = await ow.activations.get({ name: activationId });
      if (typeof record.end === 'number' && record.end > 0) {
        return { start: record.start, end: record.end, duration: record.duration, logs: record.logs, status: (record.response as { status?: string } | undefined)?.status };
      }
    } catch (thrown: unknown) {
      if (statusCodeOf(thrown) !== 404) throw thrown;
    }
    if (Date.now() > deadline) throw new Error(`activation ${activationId} did not finish in time`);
    await sleep(pollMs);
  }
}

/** Polls the run head directly in CouchDB (not through the counting proxy) until the run ends. */
async function waitForRunEnd(store: RunStore, runId: string, deadline: number, pollMs: number): Promise<RunDoc> {
  for (;;) {
    const run = await store.get<RunDoc>(docIds.run(runId));
    if (run && run.status !== 'running') return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} ${run ? 'still running' : 'not started'} at the deadline`);
    await sleep(pollMs);
  }
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
async function joinActivation(ow: Client, store: RunStore, runId: string, seq: number, lastMapEnd: number): Promise<Pick<FanoutResult, 'joinActivation'>> {
  const stage = await store.get<StageDoc>(docIds.stage(runId, seq));
  if (!stage?.claimedBy) return {};
  try {
    const record = await ow.activations.get({ name: stage.claimedBy });
    const trace = (record.response?.result as { trace?: OrchestratorTrace } | undefined)?.trace;
    const cold = (record.annotations ?? []).some((annotation) => annotation.key === 'initTime');
    return { joinActivation: { startAfterLastMapEndMs: record.start - lastMapEnd, durationMs: (record.end ?? record.start) - record.start, cold, ...(trace ? { trace } : {}) } };
  } catch {
    return {};
  }
}

// ---- CPU ------------------------------------------------------------------------------------

interface CpuSample { controllerMs: number; containersMs: number; couchMs: number }

function cpuSample(platformPid: number, couchPids: readonly number[]): CpuSample {
  const children = childrenCpuMs(platformPid, /pouchdb-server/);
  const couches = couchPids.map((pid) => readCpu(pid));
  return {
    controllerMs: readCpu(platformPid)?.selfMs ?? Number.NaN,
    containersMs: children?.otherMs ?? Number.NaN,
    couchMs: couches.length > 0 && couches.every((couch) => couch !== undefined)
      ? couches.reduce((sum, couch) => sum + couch!.selfMs + couch!.reapedChildrenMs, 0) : Number.NaN,
  };
}

const cpuDiff = (after: CpuSample, before: CpuSample, per: number): CpuSample => ({
  controllerMs: (after.controllerMs - before.controllerMs) / per,
  containersMs: (after.containersMs - before.containersMs) / per,
  couchMs: (after.couchMs - before.couchMs) / per,
});

// ---- deployment -----------------------------------------------------------------------------

interface ComposerModule {
  sequence(...components: string[]): { compile(): Record<string, unknown> };
}
interface ConductorModule {
  generate(composition: Record<string, unknown>, debug?: string, kind?: string, timeout?: number, memory?: number, logs?: number): { name: string; action: Record<string, unknown> };
}

function sequenceWorkflow(size: number) {
  return toWorkflow({
    name: `bench-seq-${size}`,
    stages: Array.from({ length: size }, (_, i) => ({ id: `t${i}`, kind: 'task', action: NOOP })),
  });
}

/** What each system runs at one size; the native and streaming systems run the same workflow. */
interface SequenceNames { workflow: string; openwhiskSequence: string; composer: string }

async function deploySequences(ow: BenchClient, store: RunStore, namespace: string, size: number): Promise<SequenceNames> {
  const workflow = sequenceWorkflow(size);
  const deployed = await deployWorkflow(ow, store, workflow);
  if (deployed.missingActions.length) throw new Error(`workflow ${workflow.name} names missing actions ${deployed.missingActions.join(', ')}`);
  const sequenceName = `bench-owseq-${size}`;
  await ow.actions.update({ name: sequenceName, action: { exec: { kind: 'sequence', components: Array.from({ length: size }, () => `/${namespace}/${NOOP}`) } } as never });
  const composer = require('openwhisk-composer') as ComposerModule;
  const conductor = require('openwhisk-composer/conductor') as ConductorModule;
  const compositionName = `bench-composer-${size}`;
  const compiled = composer.sequence(...Array.from({ length: size }, () => NOOP)).compile();
  const generated = conductor.generate({ ...compiled, name: compositionName }, undefined, 'nodejs:20');
  await ow.actions.update({ name: compositionName, action: generated.action } as never);
  return { workflow: workflow.name, openwhiskSequence: sequenceName, composer: compositionName };
}

/**
 * Installs the whiskflow actions for `storeConfig`, then sets their intra-container concurrency
 * (`limits.concurrency`; stock OpenWhisk allows only 1, deployments can raise `concurrency.max`).
 * They spend their time waiting on CouchDB and the controller, so one container can serve many
 * activations at once instead of the pool starting (and evicting) one container per activation.
 */
async function installWhiskflow(ow: BenchClient, storeConfig: StoreConfig, options: Options): Promise<void> {
  await deployRuntime(ow, storeConfig, options.actionsDir);
  if (options.whiskflowConcurrency <= 1 && options.whiskflowMemory === undefined) return;
  for (const name of [ORCHESTRATOR, TASK, 'whiskflow/timer']) {
    const action = (await ow.actions.get({ name })) as unknown as { exec: object; annotations: object[]; parameters: object[]; limits: Record<string, number> };
    const limits = { ...action.limits, concurrency: options.whiskflowConcurrency, ...(options.whiskflowMemory ? { memory: options.whiskflowMemory } : {}) };
    await ow.actions.update({ name, action: { exec: action.exec, annotations: action.annotations, parameters: action.parameters, limits } } as never);
  }
}

// ---- sequences ------------------------------------------------------------------------------

interface SequenceSample {
  system: System;
  size: number;
  repetition: number;
  /** Client submit → the system's own end time (run head endedAt / composite activation end). */
  makespanMs: number;
  /** The system's own start → end (run head startedAt→endedAt; composite activation start→end). */
  internalMakespanMs: number;
  noopActivations: number;
  noopDurationSumMs: number;
  /** (makespan − sum of no-op durations) / N */
  overheadPerTransitionMs: number;
  internalOverheadPerTransitionMs: number;
  ok: boolean;
  id: string;
  couchRequestsPerTransition?: number;
  whiskflowDbRequestsPerTransition?: number;
  whiskflowDbMsPerTransition?: number;
  phases?: Awaited<ReturnType<typeof whiskflowPhases>>;
}

async function runSequenceOnce(ctx: Context, system: System, names: SequenceNames, size: number, repetition: number): Promise<SequenceSample> {
  const { ow, store } = ctx;
  const deadline = Date.now() + ctx.options.runTimeoutMs + size * 1000;
  // Activation start times are whole ms; start the window just before the submit.
  const couchBefore = ctx.proxy?.snapshot();
  const t0 = Date.now();
  let end: number;
  let internalStart: number;
  let ok: boolean;
  let id: string;
  if (system === 'openwhiskSequence' || system === 'composer') {
    const { activationId } = await ow.actions.invoke({ name: names[system], blocking: false });
    const record = await waitForActivation(ow, activationId, deadline, 50);
    end = record.end;
    internalStart = record.start;
    ok = record.status === 'success' || record.status === undefined;
    id = activationId;
  } else {
    const runId = system === 'whiskflow' ? (await requestRun(ow, names.workflow, {})).runId : await startStreamingRun(ctx, system, names.workflow);
    const run = await waitForRunEnd(store, runId, deadline, 100);
    end = run.endedAt ?? Number.NaN;
    internalStart = run.startedAt;
    ok = run.status === 'succeeded';
    id = runId;
  }
  const noops = (await listActivations(ow, NOOP, t0)).filter((record) => record.start <= end);
  const sum = noops.reduce((total, record) => total + (record.duration ?? ((record.end ?? record.start) - record.start)), 0);
  const makespanMs = end - t0;
  const internalMakespanMs = end - internalStart;
  const couch = ctx.proxy && couchBefore ? diffCounts(ctx.proxy.snapshot(), couchBefore) : undefined;
  const phases = system === 'whiskflow' ? await whiskflowPhases(ow, t0, end) : undefined;
  return {
    system, size, repetition, makespanMs, internalMakespanMs,
    noopActivations: noops.length, noopDurationSumMs: sum,
    overheadPerTransitionMs: (makespanMs - sum) / size,
    internalOverheadPerTransitionMs: (internalMakespanMs - sum) / size,
    ok: ok && noops.length === size, id,
    ...(couch ? {
      couchRequestsPerTransition: couch.total / size,
      whiskflowDbRequestsPerTransition: (couch.byDatabase.whiskflow ?? 0) / size,
      whiskflowDbMsPerTransition: (couch.latencyMsByDatabase.whiskflow ?? 0) / size,
    } : {}),
    ...(phases ? { phases } : {}),
  };
}

/** Produces the run's `run.started` to the engine's completions topic, as `whiskflow run --stream` does. */
async function startStreamingRun(ctx: Context, system: StreamingSystem, workflow: string): Promise<string> {
  const engine = ctx.streaming[system];
  if (!engine) throw new Error(`${system}: its engine is not running`);
  return startStreamRun(engine.stream, { workflow, input: {}, topic: engine.completions });
}

interface OrchestratorTrace { storeRequests: number; storeMs: number; invokes: number; invokeMs: number; totalMs: number; timeline?: string[] }

/**
 * Where a whiskflow transition's time goes, from the activation records of one run (medians over
 * transitions): the orchestrator activation's duration; orchestrator start → the task composition's
 * start (decide, claim, invoke); task composition start → the next orchestrator start (conductor,
 * no-op, conductor, trigger fire, rule). The last two add up to one transition.
 */
async function whiskflowPhases(ow: Client, t0: number, end: number) {
  const [orchestrations, tasks] = await Promise.all([listActivations(ow, ORCHESTRATOR, t0, end), listActivations(ow, TASK, t0, end)]);
  // The composite conductor record has no `cause`; its two conductor runs have the composite as cause.
  const compositions = tasks.filter((record) => !(record as { cause?: string }).cause).sort((a, b) => a.start - b.start);
  const orchestrators = orchestrations.sort((a, b) => a.start - b.start);
  const orchestratorToTask: number[] = [];
  const taskToNextOrchestrator: number[] = [];
  const composition: number[] = [];
  for (const task of compositions) {
    const before = orchestrators.filter((o) => o.start <= task.start).at(-1);
    if (before) orchestratorToTask.push(task.start - before.start);
    composition.push((task.end ?? task.start) - task.start);
    const next = before ? orchestrators[orchestrators.indexOf(before) + 1] : undefined;
    if (next && next.start >= task.start) taskToNextOrchestrator.push(next.start - task.start);
  }
  const p50 = (values: number[]) => summarize(values).p50;
  // Each orchestrator activation returns its own trace: store round trips and invokes, with their time.
  const traces = (await Promise.all(orchestrators.map(async (o) => {
    const record = await ow.activations.get({ name: o.activationId }).catch(() => undefined);
    return (record?.response?.result as { trace?: OrchestratorTrace } | undefined)?.trace;
  }))).filter((trace): trace is OrchestratorTrace => trace !== undefined);
  return {
    orchestratorActivations: orchestrators.length,
    orchestratorTraced: traces.length,
    orchestratorStoreRequests: p50(traces.map((t) => t.storeRequests)),
    orchestratorStoreMs: p50(traces.map((t) => t.storeMs)),
    orchestratorInvokeMs: p50(traces.map((t) => t.invokeMs)),
    /** In-action time not spent waiting on the store or the platform (event parsing, JSON, bookkeeping). */
    orchestratorOtherMs: p50(traces.map((t) => t.totalMs - t.storeMs - t.invokeMs)),
    orchestratorColdStarts: coldStarts(orchestrators),
    taskConductorColdStarts: coldStarts(tasks),
    orchestratorDurationMs: p50(orchestrators.map((o) => o.duration ?? 0)),
    orchestratorStartToTaskStartMs: p50(orchestratorToTask),
    taskStartToNextOrchestratorStartMs: p50(taskToNextOrchestrator),
    taskCompositionMs: p50(composition),
  };
}

/** The native orchestrator, each streaming engine that started, OpenWhisk's sequence and composer. */
function sequenceSystems(ctx: Context): System[] {
  const streaming = ctx.options.streamingBackends.map((backend) => STREAMING_SYSTEM[backend]).filter((system) => ctx.streaming[system]);
  return ['whiskflow', ...streaming, 'openwhiskSequence', 'composer'];
}

async function sequences(ctx: Context) {
  const samples: SequenceSample[] = [];
  const errors: string[] = [];
  const names = new Map<number, SequenceNames>();
  for (const size of ctx.options.sequenceSizes) names.set(size, await deploySequences(ctx.ow, ctx.store, ctx.platform.namespace, size));
  const systems = sequenceSystems(ctx);
  // Untimed warm-up of every system at every size (each composition is its own conductor action).
  for (const size of ctx.options.sequenceSizes) {
    for (const system of systems) {
      try {
        await runSequenceOnce(ctx, system, names.get(size)!, size, -1);
      } catch (thrown) {
        errors.push(`warm-up ${system} N=${size}: ${messageOf(thrown)}`);
      }
    }
  }
  for (let repetition = 0; repetition < ctx.options.repetitions; repetition += 1) {
    for (const size of ctx.options.sequenceSizes) {
      // Rotate the order per repetition so that no system always runs right after another.
      const order = systems.map((_, i) => systems[(i + repetition) % systems.length]!);
      for (const system of order) {
        try {
          const sample = await runSequenceOnce(ctx, system, names.get(size)!, size, repetition);
          samples.push(sample);
          writeProgress(ctx, 'sequenceSamples', samples);
          console.log(`  N=${size} rep ${repetition} ${system}: makespan ${sample.makespanMs} ms, no-ops ${sample.noopActivations} (${sample.noopDurationSumMs} ms), overhead/transition ${sample.overheadPerTransitionMs.toFixed(2)} ms${sample.ok ? '' : ' NOT OK'}`);
        } catch (thrown) {
          errors.push(`${system} N=${size} rep ${repetition}: ${messageOf(thrown)}`);
          console.log(`  N=${size} rep ${repetition} ${system}: FAILED ${messageOf(thrown)}`);
        }
      }
    }
  }
  const p50Of = (own: SequenceSample[], pick: (s: SequenceSample) => number | undefined) => summarize(own.map((s) => pick(s) ?? Number.NaN).filter(Number.isFinite)).p50;
  const bySize = ctx.options.sequenceSizes.map((size) => {
    const per = (system: System) => {
      const own = samples.filter((s) => s.size === size && s.system === system && s.ok);
      return {
        runs: own.length,
        overheadPerTransitionMs: rounded(summarize(own.map((s) => s.overheadPerTransitionMs))),
        internalOverheadPerTransitionMs: rounded(summarize(own.map((s) => s.internalOverheadPerTransitionMs))),
        makespanMs: rounded(summarize(own.map((s) => s.makespanMs))),
        noopDurationSumMs: rounded(summarize(own.map((s) => s.noopDurationSumMs))),
        couchRequestsPerTransitionP50: p50Of(own, (s) => s.couchRequestsPerTransition),
        ...(system === 'whiskflow' ? {
          whiskflowDbRequestsPerTransitionP50: p50Of(own, (s) => s.whiskflowDbRequestsPerTransition),
          whiskflowDbMsPerTransitionP50: p50Of(own, (s) => s.whiskflowDbMsPerTransition),
          phasesP50: {
            orchestratorDurationMs: p50Of(own, (s) => s.phases?.orchestratorDurationMs),
            orchestratorStoreRequests: p50Of(own, (s) => s.phases?.orchestratorStoreRequests),
            orchestratorStoreMs: p50Of(own, (s) => s.phases?.orchestratorStoreMs),
            orchestratorInvokeMs: p50Of(own, (s) => s.phases?.orchestratorInvokeMs),
            orchestratorOtherMs: p50Of(own, (s) => s.phases?.orchestratorOtherMs),
            orchestratorStartToTaskStartMs: p50Of(own, (s) => s.phases?.orchestratorStartToTaskStartMs),
            taskStartToNextOrchestratorStartMs: p50Of(own, (s) => s.phases?.taskStartToNextOrchestratorStartMs),
            taskCompositionMs: p50Of(own, (s) => s.phases?.taskCompositionMs),
          },
        } : {}),
      };
    };
    const measured = Object.fromEntries(systems.map((system) => [system, per(system)])) as Partial<Record<System, ReturnType<typeof per>>>;
    // The native orchestrator, the sequence and composer always run; the streaming engines when they started.
    const bySystem = measured as Record<Exclude<System, StreamingSystem>, ReturnType<typeof per>> & Partial<Record<StreamingSystem, ReturnType<typeof per>>>;
    const ratio = (a: Summary, b: Summary) => (b.p50 > 0 ? rounded({ v: a.p50 / b.p50 }).v : Number.NaN);
    // Ratios of medians, and the median of per-repetition ratios (pairs measured back to back).
    const pairRatios = (system: System, other: System) => {
      const ratios: number[] = [];
      for (let repetition = 0; repetition < ctx.options.repetitions; repetition += 1) {
        const a = samples.find((s) => s.size === size && s.repetition === repetition && s.system === system && s.ok);
        const b = samples.find((s) => s.size === size && s.repetition === repetition && s.system === other && s.ok);
        if (a && b && b.overheadPerTransitionMs > 0) ratios.push(a.overheadPerTransitionMs / b.overheadPerTransitionMs);
      }
      return rounded(summarize(ratios));
    };
    const streaming = systems.filter((system): system is StreamingSystem => system.startsWith('streaming'));
    return {
      size,
      ...bySystem,
      whiskflowOverOpenwhiskSequence: ratio(bySystem.whiskflow.overheadPerTransitionMs, bySystem.openwhiskSequence.overheadPerTransitionMs),
      whiskflowOverComposer: ratio(bySystem.whiskflow.overheadPerTransitionMs, bySystem.composer.overheadPerTransitionMs),
      composerOverOpenwhiskSequence: ratio(bySystem.composer.overheadPerTransitionMs, bySystem.openwhiskSequence.overheadPerTransitionMs),
      /** Absolute: how many ms per transition whiskflow adds over the OpenWhisk sequence (p50s). */
      whiskflowMinusOpenwhiskSequenceMs: bySystem.whiskflow.overheadPerTransitionMs.p50 - bySystem.openwhiskSequence.overheadPerTransitionMs.p50,
      pairedRatioWhiskflowOverOpenwhiskSequence: pairRatios('whiskflow', 'openwhiskSequence'),
      /** The streaming engine per backend: over the OpenWhisk sequence and over the native orchestrator (p50 ratios). */
      streaming: Object.fromEntries(streaming.map((system) => [system, {
        overOpenwhiskSequence: ratio(measured[system]!.overheadPerTransitionMs, bySystem.openwhiskSequence.overheadPerTransitionMs),
        overWhiskflowNative: ratio(measured[system]!.overheadPerTransitionMs, bySystem.whiskflow.overheadPerTransitionMs),
        pairedRatioOverWhiskflowNative: pairRatios(system, 'whiskflow'),
      }])),
    };
  });
  return { bySize, samples: samples.map((s) => ({ ...rounded(s), ...(s.phases ? { phases: rounded(s.phases) } : {}) })), errors };
}

// ---- fan-out / fan-in -----------------------------------------------------------------------

interface FanoutResult {
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
  taskConductorActivations: number;
  /** Activations that paid a cold start, by action. */
  coldStarts: Record<string, number>;
  couchRequests: CouchCounts | null;
  couchRequestsPerTask: { total: number; whiskflowDb: number } | null;
  cpuMsPerTask: CpuSample;
  settled: boolean;
}

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
  const [maps, reduces, orchestrations, conductors] = await Promise.all([
    listActivations(ow, MAP_NOOP, t0), listActivations(ow, REDUCE_NOOP, t0),
    listActivations(ow, ORCHESTRATOR, t0), listActivations(ow, TASK, t0),
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
    ...(reduceStage ? await joinActivation(ow, store, runId, reduceStage.seq, lastMapEnd) : {}),
    mapNoopActivations: maps.length,
    reduceNoopActivations: reduces.length,
    orchestratorActivations: orchestrations.length,
    orchestratorActivationsPerTask: orchestrations.length / totalTasks,
    taskConductorActivations: conductors.length,
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

async function fanout(ctx: Context) {
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
      const result = await fanoutOnce(ctx, tasks);
      results.push(result);
      writeProgress(ctx, 'fanout', results);
      console.log(`  fan-out ${tasks}: ${result.status}, makespan ${result.makespanMs} ms, join ${result.joinLatencyMs} ms, `
        + `orchestrator activations/task ${result.orchestratorActivationsPerTask.toFixed(2)}, CouchDB requests/task ${result.couchRequestsPerTask?.total.toFixed(1) ?? 'n/a'} `
        + `(whiskflow db ${result.couchRequestsPerTask?.whiskflowDb.toFixed(1) ?? 'n/a'})`);
    } catch (thrown) {
      errors.push(`fan-out ${tasks}: ${messageOf(thrown)}`);
      console.log(`  fan-out ${tasks}: FAILED after ${((performance.now() - started) / 1000).toFixed(0)} s: ${messageOf(thrown)}`);
    }
  }
  return { sizes, runs: results.map((result) => rounded(result)), errors };
}

/** Partial results next to the report while a long run goes on (the final report replaces nothing else). */
function writeProgress(ctx: Context, key: string, value: unknown): void {
  try {
    writeFileSync(`${ctx.options.out}.partial`, `${JSON.stringify({ ...readPartial(ctx), [key]: value }, null, 2)}\n`);
  } catch { /* progress is best effort */ }
}
function readPartial(ctx: Context): Record<string, unknown> {
  try { return JSON.parse(readFileSync(`${ctx.options.out}.partial`, 'utf8')) as Record<string, unknown>; } catch { return {}; }
}

// ---- main -----------------------------------------------------------------------------------

interface Context {
  options: Options;
  ow: BenchClient;
  store: RunStore;
  platform: ChildPlatform;
  proxy?: CountingProxy;
  /** The embedded pouchdb-server processes (the platform's, and the run store's when separate). */
  couchPids: number[];
  /** A `whiskflow engine` per streaming backend that started, and the stream to start its runs on. */
  streaming: Partial<Record<StreamingSystem, StreamingEngine>>;
}

/**
 * A broker and `whiskflow engine` per backend, reading and writing run state where the native
 * orchestrator does. A backend that does not start is left out with a note, not the benchmark.
 */
async function startStreamingEngines(backends: readonly Backend[], platform: ChildPlatform, couchUrl: string, notes: string[]): Promise<Partial<Record<StreamingSystem, StreamingEngine>>> {
  const started: Partial<Record<StreamingSystem, StreamingEngine>> = {};
  for (const backend of backends) {
    try {
      const engine = await startStreamingEngine(backend, { topicPrefix: `bseq-${backend}.`, name: `bench-seq-${backend}`, apihost: platform.apihost, auth: platform.auth, couchUrl, database: 'whiskflow' });
      started[STREAMING_SYSTEM[backend]] = engine;
      console.log(`streaming engine on ${backend} (${engine.broker.url}), pid ${engine.engine.pid}`);
    } catch (thrown) {
      notes.push(`sequences: the streaming engine on ${backend} did not start, so it is not compared: ${messageOf(thrown)}`);
      console.error(`streaming engine on ${backend} did not start: ${messageOf(thrown)}`);
    }
  }
  return started;
}

async function stopStreamingEngines(engines: Partial<Record<StreamingSystem, StreamingEngine>>): Promise<void> {
  await Promise.allSettled(Object.values(engines).map(stopStreamingEngine));
}

async function run(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  const dataDir = mkdtempSync(join(os.tmpdir(), 'whiskflow-bench-native-'));
  let couch: EmbeddedCouch | undefined;
  let runCouch: EmbeddedCouch | undefined;
  let proxy: CountingProxy | undefined;
  let platform: ChildPlatform | undefined;
  let streaming: Context['streaming'] = {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  mkdirSync(dirname(options.out), { recursive: true });
  rmSync(`${options.out}.partial`, { force: true });
  try {
    couch = await startEmbeddedCouch({ dataDir, port: 0 });
    // The run store on a pouchdb-server of its own, as when whiskflow's CouchDB/Cloudant is not
    // OpenWhisk's: its requests then never queue behind the platform's activation records.
    if (options.separateRunStore) runCouch = await startEmbeddedCouch({ dataDir: join(dataDir, 'run-store'), port: 0 });
    const runCouchUrl = runCouch?.url ?? couch.url;
    const couchPids = descendants(process.pid).filter((pid) => /pouchdb-server/.test(commandLine(pid)));
    if (options.couchProxy) proxy = await startCountingProxy(couch.url, runCouch ? { whiskflow: runCouch.url } : {});
    const platformCouch = proxy?.url ?? couch.url;
    if (proxy) {
      results.couchProxy = { directGetMedianMs: rounded({ v: await probeLatency(couch.url) }).v, proxiedGetMedianMs: rounded({ v: await probeLatency(proxy.url) }).v };
    }
    const largestSequence = Math.max(0, ...options.sequenceSizes);
    platform = await startChildPlatform(options.platformEntry, {
      platformOptions: {
        couchUrl: platformCouch,
        // The 80-task composer composition needs 80 components and 161 conductor runs; stock is 50.
        limits: { sequenceMaxLength: Math.max(50, largestSequence + 10) },
        activationCacheSize: 300_000,
        runtime: {
          ...(options.maxContainers ? { maxContainers: options.maxContainers } : {}),
          ...(options.userMemoryMb ? { userMemoryMb: options.userMemoryMb } : {}),
          containerNice: options.containerNice,
        },
      },
    });
    console.log(`platform pid ${platform.pid} at ${platform.apihost}; CouchDB ${couch.url}${proxy ? ` behind counting proxy ${proxy.url}` : ''}`);
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace, agent }) as unknown as BenchClient;
    // The orchestrator's store goes through the proxy (counted); the benchmark's own reads do not.
    const orchestratorStore: StoreConfig = { kind: 'couchdb', url: proxy?.url ?? runCouchUrl, dbname: 'whiskflow' };
    const store = createRunStore({ kind: 'couchdb', url: runCouchUrl, dbname: 'whiskflow' });
    await store.ensureReady();
    await installWhiskflow(ow, orchestratorStore, options);
    for (const name of [NOOP, MAP_NOOP, REDUCE_NOOP]) {
      await ow.actions.update({ name, action: { exec: { kind: 'nodejs:20', code: NOOP_CODE } } } as never);
    }
    // The engines, like the orchestrator in the sequence comparison, reach the store directly.
    if (options.sequenceSizes.length) streaming = await startStreamingEngines(options.streamingBackends, platform, runCouchUrl, notes);
    const ctx: Context = { options, ow, store, platform, couchPids, streaming, ...(proxy ? { proxy } : {}) };
    // The proxy hop costs ~1-3 ms per request, and a whiskflow transition makes ~13 store requests in a
    // row: the sequence comparison gives the orchestrator a direct store URL (the platform itself stays
    // behind the proxy, for all three systems alike); the fan-out phase counts through the proxy.
    const directStore: StoreConfig = { kind: 'couchdb', url: runCouchUrl, dbname: 'whiskflow' };
    if (proxy && options.sequenceSizes.length) await installWhiskflow(ow, directStore, options);

    const phase = phaseRunner(results, notes);
    if (options.sequenceSizes.length) await phase('sequences', () => sequences(ctx));
    if (options.fanoutSizes.length || options.fanout10k) {
      if (proxy && options.sequenceSizes.length) await installWhiskflow(ow, orchestratorStore, options);
      await phase('fanout', () => fanout(ctx));
    }
  } finally {
    await stopStreamingEngines(streaming);
    agent.destroy();
    await platform?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await couch?.stop().catch(() => undefined);
    await runCouch?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }

  let bundleBuilt: string | null = null;
  try { bundleBuilt = statSync(join(options.actionsDir, 'orchestrator.js')).mtime.toISOString(); } catch { /* reported as null */ }
  const report: BenchReport = {
    benchmark: 'native',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options, orchestratorBundleBuiltAt: bundleBuilt },
    results,
    targets: verdicts(results, options),
    notes: [
      'all sequence systems run on one local platform, interleaved per size and repetition (order rotated); ratios compare medians of the same run',
      `sequences: whiskflow = the native orchestrator (trigger, rule, orchestrator and task conductor activations); ${options.streamingBackends.map((backend) => STREAMING_SYSTEM[backend]).join(', ') || 'no streaming engine'} = the same workflow under \`whiskflow engine\` (Condition and Rule Engine in one process, default settings: activations first read 20 ms after the invoke, rounds at most 100 ms apart) on that broker, run state in the same CouchDB; its run starts by producing run.started to the broker`,
      'makespan = client submit → the system\'s own end (whiskflow: run head endedAt; sequence/composer: the composite activation end); per-transition overhead = (makespan − Σ no-op activation durations) / N; internal* variants start at the run head startedAt / composite activation start',
      'no-op durations come from the activation list API (name filter, since the submit, paged by 200); a sample counts only if exactly N no-op activations ran',
      'orchestrator activations are counted with the activation list API filtered by name whiskflow/orchestrator since the run request, after the platform went idle',
      options.couchProxy
        ? 'sequences: the orchestrator\'s store URL points at CouchDB directly (the proxy hop would add ~1-3 ms to each of ~13 store requests per transition), so whiskflowDb* fields of sequence samples are 0; the platform (all systems) stays behind the proxy. fan-out: '
          + 'CouchDB requests are counted by a counting HTTP proxy started by the benchmark in front of the embedded pouchdb-server and passed to startPlatform as couchUrl (and as the orchestrator\'s store URL); the benchmark\'s own polling goes to CouchDB directly and is not counted. byDatabase.whiskflow = run-state requests; whisk_local_* = the platform\'s entities/activation records'
        : 'CouchDB requests were not counted (--no-couch-proxy)',
      `limits.sequenceMaxLength raised to ${Math.max(50, Math.max(0, ...options.sequenceSizes) + 10)} (stock OpenWhisk: 50) so that sequences/compositions of every size run`,
      `whiskflow actions (orchestrator, task conductor, timer) limits.memory = ${options.whiskflowMemory ?? 'default (256)'} MB, limits.concurrency = ${options.whiskflowConcurrency}${options.whiskflowConcurrency > 1 ? ' (stock OpenWhisk allows 1: a deployment must raise concurrency.max)' : ' (stock)'}`,
      `runtime maxContainers = ${options.maxContainers || 'none (the memory budget alone)'}: with 16 (once the platform's default), a 100-task fan-out (orchestrator, task conductor and no-op containers competing) evicted and cold-started ~half of all activations (makespan 189 s vs 13.7 s with 48 on the same machine)`,
      `fan-out map concurrency: ${options.mapConcurrency ?? `absent (the default window, ${DEFAULT_MAP_CONCURRENCY})`}`,
      `load average (1, 5, 15 min) at the end: ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}`,
      ...notes,
    ],
  };
  const path = writeReport(options.out, report);
  rmSync(`${options.out}.partial`, { force: true });
  printSummary(report, notes);
  console.log(`wrote ${path}`);
}

function verdicts(results: Record<string, unknown>, options: Options): TargetVerdict[] {
  const verdictsList: TargetVerdict[] = [];
  const seq = results.sequences as Awaited<ReturnType<typeof sequences>> | undefined;
  for (const size of seq?.bySize ?? []) {
    const ratio = size.whiskflowOverOpenwhiskSequence;
    verdictsList.push(target(`sequence N=${size.size}: whiskflow / OpenWhisk sequence per-transition overhead (p50 ratio)`, '<= 1.5',
      Number.isFinite(ratio) ? ratio : null, Number.isFinite(ratio) && ratio <= 1.5));
  }
  const fan = results.fanout as Awaited<ReturnType<typeof fanout>> | undefined;
  const runs = fan?.runs ?? [];
  const tenK = runs.find((r) => r.tasks === 10_000);
  const ranTenK = options.fanout10k || options.fanoutSizes.includes(10_000);
  const tenKError = fan?.errors.find((error) => error.startsWith('fan-out 10000:'));
  verdictsList.push(target('10,000-task map completes', 'run succeeded', ranTenK ? (tenK ? tenK.status : (tenKError ?? 'failed')) : 'not run', tenK?.ok === true));
  const thousand = runs.find((r) => r.tasks === 1000);
  verdictsList.push(target('join latency at 1,000 tasks', '< 100 ms', thousand ? thousand.joinLatencyMs : 'not run', thousand !== undefined && thousand.joinLatencyMs < 100));
  return verdictsList;
}

/** `runNotes`: what this run noted (failed phases, engines that did not start), not the fixed notes. */
function printSummary(report: BenchReport, runNotes: readonly string[]): void {
  const r = report.results as Record<string, unknown>;
  const seq = r.sequences as Awaited<ReturnType<typeof sequences>> | undefined;
  if (seq?.bySize) {
    const streaming = Object.values(STREAMING_SYSTEM).filter((system) => seq.bySize.some((size) => size[system]));
    console.log(`per-transition overhead, p50 ms (runs): whiskflow | ${streaming.map((system) => `${system} | `).join('')}OpenWhisk sequence | composer | whiskflow/sequence`);
    for (const size of seq.bySize) {
      const cell = (system: System) => `${size[system]?.overheadPerTransitionMs.p50 ?? 'n/a'} (${size[system]?.runs ?? 0})`;
      console.log(`  N=${size.size}: ${cell('whiskflow')} | ${streaming.map((system) => `${cell(system)} | `).join('')}${cell('openwhiskSequence')} | ${cell('composer')} | ${size.whiskflowOverOpenwhiskSequence.toFixed(2)}x`);
    }
  }
  if (seq?.bySize) {
    console.log('whiskflow transition phases, p50 ms: orchestrator duration (store requests, store ms, invoke ms, other ms) | orchestrator start → task start | task start → next orchestrator start');
    for (const size of seq.bySize) {
      const p = size.whiskflow.phasesP50;
      if (!p) continue;
      console.log(`  N=${size.size}: ${p.orchestratorDurationMs} (${p.orchestratorStoreRequests}, ${p.orchestratorStoreMs}, ${p.orchestratorInvokeMs}, ${p.orchestratorOtherMs}) | ${p.orchestratorStartToTaskStartMs} | ${p.taskStartToNextOrchestratorStartMs}`);
    }
  }
  const fan = r.fanout as Awaited<ReturnType<typeof fanout>> | undefined;
  if (fan?.runs) {
    console.log('fan-out/fan-in: tasks | makespan ms | join ms | orchestrator act/task | CouchDB req/task (whiskflow db)');
    for (const run of fan.runs) {
      console.log(`  ${run.tasks} | ${run.makespanMs} | ${run.joinLatencyMs} | ${run.orchestratorActivationsPerTask} | ${run.couchRequestsPerTask?.total ?? 'n/a'} (${run.couchRequestsPerTask?.whiskflowDb ?? 'n/a'})`);
    }
  }
  for (const note of runNotes) console.log(`note: ${note}`);
  console.log('targets:');
  printTargets(report.targets);
}

const program = new Command('bench-native')
  .description('Benchmark the whiskflow native orchestrator against OpenWhisk sequences and composer, on the local platform')
  .option('--sequence-sizes <list>', 'sequence lengths (no-op tasks); empty to skip', numberList(positiveInteger), [5, 10, 20, 40, 80])
  .option('--repetitions <n>', 'timed runs per system and sequence size (after one untimed warm-up)', nonNegativeInteger, 3)
  .option('--fanout-sizes <list>', 'map sizes for fan-out/fan-in; empty to skip', numberList(positiveInteger), [10, 100, 1000])
  .option('--fanout-10k', 'also run a 10,000-task map (several minutes on the embedded CouchDB)', false)
  .option('--max-containers <n>', "the runtime's container limit, 0 for none (16 thrashed on fan-out: see the report notes)", nonNegativeInteger, 48)
  .option('--user-memory-mb <n>', "the runtime's memory budget for containers (the platform's default when absent)", positiveInteger)
  .option('--container-nice <n>', 'niceness of the action containers below the platform and CouchDB (runtime containerNice; 0 = same priority)', niceLevel, DEFAULT_CONTAINER_NICE)
  .option('--whiskflow-concurrency <n>', 'limits.concurrency of the whiskflow actions (orchestrator, task conductor, timer); 1 = stock OpenWhisk', nonNegativeInteger, 1)
  .option('--whiskflow-memory <mb>', 'limits.memory of the whiskflow actions (stock default 256, max 512)', nonNegativeInteger)
  .option('--separate-run-store', "the run store on a pouchdb-server of its own instead of the platform's (counted by the same proxy)", false)
  .option('--no-couch-proxy', 'do not put the counting proxy in front of CouchDB (no request counts)')
  .option('--run-timeout-ms <ms>', 'base timeout per run (fan-out adds 300 ms per task, sequences 1 s per task)', nonNegativeInteger, 60_000)
  .option('--max-run-ms <ms>', 'upper bound of a fan-out run (the default bound grows by 300 ms per task)', nonNegativeInteger)
  .option('--stall-ms <ms>', 'give up on a fan-out run when no map task completed for this long', nonNegativeInteger, 60_000)
  .option('--streaming-backends <list>', 'brokers to run the sequences on under the streaming engine too (redis, kafka); empty to skip', choiceList(BACKENDS), [...BACKENDS])
  .option('--map-concurrency <k>', `map \`concurrency\` (window) of the fan-out workflow; absent = the default, ${DEFAULT_MAP_CONCURRENCY}`, positiveInteger)
  .option('--out <file>', 'JSON report path', 'bench-results/native.json')
  .option('--platform-entry <file>', 'script that runs the platform in a child process', join(__dirname, 'platform-server.js'))
  .option('--actions-dir <dir>', 'webpack bundles of the whiskflow actions', join(__dirname, '../../actions'))
  .action(async (options: Options) => run(options));

program.parseAsync(process.argv).catch((thrown: unknown) => {
  console.error('bench failed:', thrown instanceof Error ? thrown.message : thrown);
  process.exitCode = 1;
});
