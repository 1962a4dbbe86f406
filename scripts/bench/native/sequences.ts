/**
 * Phase 1: per-transition overhead of N sequential no-op tasks under the native orchestrator, the
 * streaming engine per backend, an OpenWhisk sequence and an openwhisk-composer composition.
 */
import { toWorkflow } from '../../../lib/model/parse';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import { requestRun } from '../../../lib/runs/run-client';
import { startStreamRun } from '../../../lib/runtimes/streaming';
import type { RunStore } from '../../../lib/store/run-store';
import { messageOf } from '../lib/report';
import { rounded, summarize, type Summary } from '../lib/stats';
import { coldStarts, listActivations, waitForActivation, waitForRunEnd, type ActivationSummary, type OrchestratorTrace } from './activations';
import { diffCounts } from './couch-proxy';
import { NOOP, ORCHESTRATOR, STREAMING_SYSTEM, TASK, writeProgress, type BenchClient, type Client, type Context, type StreamingSystem, type System } from './context';

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

export interface SequenceSample {
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
  /** A composition's steps (whiskflow's task conductor, composer's conductor), p50 ms per step. */
  steps?: CompositionSteps;
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
  // The conductor's records, listed once for the phases and the composition's steps.
  const conductor = system === 'whiskflow' ? TASK : system === 'composer' ? names.composer : undefined;
  const conductorRuns = conductor ? await listActivations(ow, conductor, t0, end) : [];
  const phases = system === 'whiskflow' ? await whiskflowPhases(ow, conductorRuns, t0, end) : undefined;
  const steps = conductor ? compositionSteps(conductorRuns, noops) : undefined;
  return {
    system, size, repetition, makespanMs, internalMakespanMs,
    noopActivations: noops.length, noopDurationSumMs: sum,
    overheadPerTransitionMs: (makespanMs - sum) / size,
    internalOverheadPerTransitionMs: (internalMakespanMs - sum) / size,
    ok: ok && noops.length === size, id,
    ...(steps ? { steps } : {}),
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

/**
 * Where a whiskflow transition's time goes, from the activation records of one run (medians over
 * transitions): the orchestrator activation's duration; orchestrator start → the task composition's
 * start (decide, claim, invoke); task composition start → the next orchestrator start (conductor,
 * no-op, conductor, trigger fire, rule). The last two add up to one transition.
 */
async function whiskflowPhases(ow: Client, tasks: readonly ActivationSummary[], t0: number, end: number) {
  const orchestrations = await listActivations(ow, ORCHESTRATOR, t0, end);
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
    /** The first orchestrator activation's calls in order (`name@startMs+durationMs`): the run's start. */
    orchestratorTimeline: traces[0]?.timeline ?? [],
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

/**
 * Where a composition's step goes, from the activation records (p50 ms over the run's steps): a
 * conductor run's duration; the platform's hop from a conductor run's end to the component's start,
 * and from the component's end to the next conductor run's start. whiskflow's task conductor and
 * composer's conductor are measured the same way, so the two can be compared step by step.
 */
export interface CompositionSteps { conductorRuns: number; conductorRunMs: number; conductorToComponentMs: number; componentToConductorMs: number }

function compositionSteps(runs: readonly ActivationSummary[], components: readonly ActivationSummary[]): CompositionSteps {
  // A conductor action's own runs name the composite record as their cause; the composite has none.
  const conductorRuns = runs.filter((record) => (record as { cause?: string }).cause).sort((a, b) => a.start - b.start);
  const noops = [...components].sort((a, b) => a.start - b.start);
  const durations = conductorRuns.map((record) => record.duration ?? ((record.end ?? record.start) - record.start));
  const toComponent: number[] = [];
  const toConductor: number[] = [];
  for (const noop of noops) {
    const before = conductorRuns.filter((record) => (record.end ?? record.start) <= noop.start).at(-1);
    const after = conductorRuns.find((record) => record.start >= (noop.end ?? noop.start));
    if (before) toComponent.push(noop.start - (before.end ?? before.start));
    if (after) toConductor.push(after.start - (noop.end ?? noop.start));
  }
  const p50 = (values: number[]) => summarize(values).p50;
  return { conductorRuns: conductorRuns.length, conductorRunMs: p50(durations), conductorToComponentMs: p50(toComponent), componentToConductorMs: p50(toConductor) };
}

/** The native orchestrator, each streaming engine that started, OpenWhisk's sequence and composer. */
function sequenceSystems(ctx: Context): System[] {
  const streaming = ctx.options.streamingBackends.map((backend) => STREAMING_SYSTEM[backend]).filter((system) => ctx.streaming[system]);
  return ['whiskflow', ...streaming, 'openwhiskSequence', 'composer'];
}

export async function sequences(ctx: Context) {
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
        ...(system === 'whiskflow' || system === 'composer' ? {
          stepsP50: {
            conductorRunMs: p50Of(own, (s) => s.steps?.conductorRunMs),
            conductorToComponentMs: p50Of(own, (s) => s.steps?.conductorToComponentMs),
            componentToConductorMs: p50Of(own, (s) => s.steps?.componentToConductorMs),
          },
        } : {}),
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
  return { bySize, costModel: costModel(systems, bySize), samples: samples.map((s) => ({ ...rounded(s), ...(s.phases ? { phases: rounded(s.phases) } : {}) })), errors };
}

/**
 * Each system's overhead split into what a run pays once (its start and end) and what each step
 * pays: the least-squares line through (N, N × p50 overhead per transition) over the sizes run.
 * Two sizes at least; the split tells whether a ratio at small N is the start or the steps.
 */
function costModel(systems: readonly System[], bySize: readonly ({ size: number } & Partial<Record<System, { overheadPerTransitionMs: Summary }>>)[]) {
  if (bySize.length < 2) return undefined;
  return Object.fromEntries(systems.map((system) => {
    const points = bySize.flatMap((size) => {
      const p50 = size[system]?.overheadPerTransitionMs.p50;
      return p50 !== undefined && Number.isFinite(p50) ? [{ n: size.size, total: p50 * size.size }] : [];
    });
    if (points.length < 2) return [system, undefined];
    const meanN = points.reduce((sum, p) => sum + p.n, 0) / points.length;
    const meanTotal = points.reduce((sum, p) => sum + p.total, 0) / points.length;
    const perStepMs = points.reduce((sum, p) => sum + (p.n - meanN) * (p.total - meanTotal), 0) / points.reduce((sum, p) => sum + (p.n - meanN) ** 2, 0);
    return [system, rounded({ perRunMs: meanTotal - perStepMs * meanN, perStepMs })];
  }));
}
