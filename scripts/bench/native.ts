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
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import os from 'node:os';
import { Command } from 'commander';
import openwhisk from 'openwhisk';
import { niceLevel, nonNegativeInteger, positiveInteger } from '../../lib/cli/options';
import { choiceList, numberList } from './lib/option-lists';
import { DEFAULT_CONTAINER_NICE } from '../../lib/platform/runtime';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../lib/store/embedded-couch';
import { createRunStore, type StoreConfig } from '../../lib/store/config';
import { redactUrl } from '../../lib/store/couchdb';
import { DEFAULT_MAP_CONCURRENCY } from '../../lib/model/workflow';
import { deployRuntime } from '../../lib/deploy/runtime';
import { RUNTIME_ACTIONS } from '../../lib/openwhisk/names';
import { PLATFORM_COUCHDB_ANNOTATION } from '../../lib/platform/invoker';
import { DEFAULT_RUNTIME_CONCURRENCY } from '../../lib/deploy/concurrency';
import { startChildPlatform, type ChildPlatform } from './lib/child-platform';
import { commandLine, descendants } from './lib/proc';
import { hostInfo, messageOf, phaseRunner, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from './lib/report';
import { rounded } from './lib/stats';
import { probeLatency, startCountingProxy, type CountingProxy } from './native/couch-proxy';
import { startStreamingEngine, stopStreamingEngine, type Backend, type StreamingEngine } from './streaming/processes';
import { BACKENDS, COMPLETION_PATHS, MAP_NOOP, NOOP, NOOP_CODE, REDUCE_NOOP, STREAMING_SYSTEM, type BenchClient, type CompletionPath, type Context, type Options, type StreamingSystem, type System } from './native/context';
import { fanout } from './native/fanout';
import { sequences } from './native/sequences';

/**
 * Installs the whiskflow actions for `storeConfig` as `whiskflow deploy` does: with its default
 * intra-container concurrency (lib/deploy/concurrency.ts) unless `--whiskflow-concurrency` names
 * one (1 = stock OpenWhisk). They spend their time waiting on CouchDB and the controller, so one
 * container can serve many activations at once instead of the pool starting (and evicting) one
 * container per activation.
 */
async function installWhiskflow(ow: BenchClient, storeConfig: StoreConfig, options: Options, path: CompletionPath = 'chain'): Promise<void> {
  await deployRuntime(ow, storeConfig, options.actionsDir, {
    ...(path === 'trigger' ? { taskEvents: true } : path === 'conductor' ? { taskChain: false } : {}),
    ...(options.whiskflowConcurrency !== undefined ? { concurrency: options.whiskflowConcurrency } : {}),
    ...(options.whiskflowMemory !== undefined ? { memoryMb: options.whiskflowMemory } : {}),
  });
}

/**
 * The local platform gives the actions annotated `provide-platform-couchdb` its own CouchDB URL,
 * which here is the counting proxy's, whatever store URL was bound (lib/store/config.ts
 * storeConfigOfAction). For the sequence comparison the orchestrator's store must be reached
 * directly, as the note says: without the annotation the bound (direct) URL holds.
 */
async function storeNotFromPlatform(ow: BenchClient): Promise<void> {
  for (const name of RUNTIME_ACTIONS.filter((action) => action.usesStore).map((action) => action.name)) {
    const action = await ow.actions.get({ name, code: false } as never) as unknown as { annotations?: { key: string; value: unknown }[] };
    const annotations = (action.annotations ?? []).filter((annotation) => annotation.key !== PLATFORM_COUCHDB_ANNOTATION);
    await ow.actions.update({ name, action: { annotations } } as never);
  }
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
    console.log(`platform pid ${platform.pid} at ${platform.apihost}; CouchDB ${redactUrl(couch.url)}${proxy ? ` behind counting proxy ${proxy.url}` : ''}`);
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace, agent }) as unknown as BenchClient;
    // The orchestrator's store goes through the proxy (counted); the benchmark's own reads do not.
    const orchestratorStore: StoreConfig = { kind: 'couchdb', url: proxy?.url ?? runCouchUrl, dbname: 'whiskflow' };
    const store = createRunStore({ kind: 'couchdb', url: runCouchUrl, dbname: 'whiskflow' });
    await store.ensureReady();
    await installWhiskflow(ow, orchestratorStore, options, options.completionPaths[0]);
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

    // A/B: each phase runs once per completion path, the first path's results under `sequences` and
    // `fanout`, the others' under `byCompletionPath.<path>`; each measures its references anew.
    const [firstPath] = options.completionPaths;
    const byPath: Record<string, Record<string, unknown>> = {};
    const phaseOf = (path: CompletionPath) => phaseRunner(path === firstPath ? results : (byPath[path] ??= {}), notes);
    if (options.sequenceSizes.length) {
      for (const path of options.completionPaths) {
        await installWhiskflow(ow, proxy ? directStore : orchestratorStore, options, path);
        if (proxy) await storeNotFromPlatform(ow);
        await phaseOf(path)('sequences', () => sequences(ctx));
      }
    }
    if (options.fanoutSizes.length || options.fanout10k) {
      for (const path of options.completionPaths) {
        await installWhiskflow(ow, orchestratorStore, options, path);
        await phaseOf(path)('fanout', () => fanout(ctx));
      }
    }
    if (Object.keys(byPath).length) results.byCompletionPath = byPath;
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
        ? 'sequences: the orchestrator\'s store URL points at CouchDB directly (the proxy hop would add ~0.5-1 ms to each store request), and its actions lose the provide-platform-couchdb annotation for that phase (the local platform would otherwise hand them the proxy\'s URL), so whiskflowDb* fields of sequence samples are 0; the platform (all systems) stays behind the proxy. fan-out: '
          + 'CouchDB requests are counted by a counting HTTP proxy started by the benchmark in front of the embedded pouchdb-server and passed to startPlatform as couchUrl (and as the orchestrator\'s store URL); the benchmark\'s own polling goes to CouchDB directly and is not counted. byDatabase.whiskflow = run-state requests; whisk_local_* = the platform\'s entities/activation records'
        : 'CouchDB requests were not counted (--no-couch-proxy)',
      `limits.sequenceMaxLength raised to ${Math.max(50, Math.max(0, ...options.sequenceSizes) + 10)} (stock OpenWhisk: 50) so that sequences/compositions of every size run`,
      `whiskflow actions (orchestrator, task conductor, timer) limits.memory = ${options.whiskflowMemory ?? 'default (256)'} MB, limits.concurrency = ${options.whiskflowConcurrency ?? `whiskflow deploy's default (${DEFAULT_RUNTIME_CONCURRENCY}, or what the platform allows)`}${options.whiskflowConcurrency === 1 ? ' (stock)' : ' (stock OpenWhisk allows 1: a deployment must raise concurrency.max)'}`,
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
    const overComposer = size.whiskflowOverComposer;
    verdictsList.push(target(`sequence N=${size.size}: whiskflow / composer per-transition overhead (p50 ratio)`, '<= 2',
      Number.isFinite(overComposer) ? overComposer : null, Number.isFinite(overComposer) && overComposer <= 2));
  }
  const fan = results.fanout as Awaited<ReturnType<typeof fanout>> | undefined;
  const runs = fan?.runs ?? [];
  const tenK = runs.find((r) => r.tasks === 10_000);
  const ranTenK = options.fanout10k || options.fanoutSizes.includes(10_000);
  const tenKError = fan?.errors.find((error) => error.startsWith('fan-out 10000:'));
  verdictsList.push(target('10,000-task map completes', 'run succeeded', ranTenK ? (tenK ? tenK.status : (tenKError ?? 'failed')) : 'not run', tenK?.ok === true));
  for (const run of runs) {
    const ratio = run.makespanOverBare;
    verdictsList.push(target(`fan-out ${run.tasks}: makespan / the bare invocations`, '<= 1.5', ratio ?? null, ratio !== undefined && ratio <= 1.5));
  }
  for (const run of runs) {
    verdictsList.push(target(`fan-out ${run.tasks}: activation records per task`, '<= 3', run.activationsPerTask, run.activationsPerTask <= 3));
    verdictsList.push(target(`fan-out ${run.tasks}: trigger fires per task`, '<= 1', run.firesPerTask, run.firesPerTask <= 1));
  }
  const thousand = runs.find((r) => r.tasks === 1000);
  verdictsList.push(target('join latency at 1,000 tasks', '< 100 ms', thousand ? thousand.joinLatencyMs : 'not run', thousand !== undefined && thousand.joinLatencyMs < 100));
  verdictsList.push(target('join latency at 10,000 tasks', '< 100 ms', tenK ? tenK.joinLatencyMs : 'not run', tenK !== undefined && tenK.joinLatencyMs < 100));
  const tenKRequests = tenK?.couchRequestsPerTask?.total;
  verdictsList.push(target('CouchDB requests per task at 10,000 tasks', '<= 1', tenKRequests ?? (tenK ? 'not counted (--no-couch-proxy)' : 'not run'), tenKRequests !== undefined && tenKRequests <= 1));
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
  if (seq?.costModel) {
    console.log('overhead split, ms (fit over the sizes): once per run | per step');
    for (const [system, model] of Object.entries(seq.costModel)) if (model) console.log(`  ${system}: ${model.perRunMs} | ${model.perStepMs}`);
  }
  if (seq?.bySize) {
    console.log('whiskflow transition phases, p50 ms: orchestrator duration (store requests, store ms, invoke ms, other ms) | orchestrator start → task start | task start → next orchestrator start');
    for (const size of seq.bySize) {
      const p = size.whiskflow.phasesP50;
      if (!p) continue;
      console.log(`  N=${size.size}: ${p.orchestratorDurationMs} (${p.orchestratorStoreRequests}, ${p.orchestratorStoreMs}, ${p.orchestratorInvokeMs}, ${p.orchestratorOtherMs}) | ${p.orchestratorStartToTaskStartMs} | ${p.taskStartToNextOrchestratorStartMs}`);
    }
  }
  if (seq?.bySize) {
    console.log('composition steps, p50 ms: conductor run | conductor end → component start | component end → conductor start (whiskflow ; composer)');
    for (const size of seq.bySize) {
      const step = (system: 'whiskflow' | 'composer') => {
        const s = size[system].stepsP50;
        return s ? `${s.conductorRunMs} | ${s.conductorToComponentMs} | ${s.componentToConductorMs}` : 'n/a';
      };
      console.log(`  N=${size.size}: ${step('whiskflow')} ; ${step('composer')}`);
    }
  }
  for (const [path, other] of Object.entries((r.byCompletionPath ?? {}) as Record<string, Record<string, unknown>>)) {
    const otherSeq = other.sequences as Awaited<ReturnType<typeof sequences>> | undefined;
    for (const size of otherSeq?.bySize ?? []) console.log(`  [${path}] N=${size.size}: whiskflow ${size.whiskflow.overheadPerTransitionMs.p50} ms/transition, ${size.whiskflowOverComposer}x composer, ${size.whiskflowOverOpenwhiskSequence}x sequence`);
    const otherFan = other.fanout as Awaited<ReturnType<typeof fanout>> | undefined;
    for (const run of otherFan?.runs ?? []) console.log(`  [${path}] fan-out ${run.tasks}: ${run.makespanMs} ms, ${run.makespanOverBare}x bare, join ${run.joinLatencyMs} ms, ${run.activationsPerTask} activations/task, ${run.firesPerTask} fires/task, CouchDB ${run.couchRequestsPerTask?.total ?? 'n/a'}/task`);
  }
  const fan = r.fanout as Awaited<ReturnType<typeof fanout>> | undefined;
  if (fan?.runs) {
    console.log('fan-out/fan-in: tasks | makespan ms | bare ms | ratio | join ms | orchestrator act/task | CouchDB req/task (whiskflow db) | CPU ms/task controller, containers, CouchDB (bare\'s) | CPU ratio');
    for (const run of fan.runs) {
      const cpu = (sample: { controllerMs: number; containersMs: number; couchMs: number } | undefined) => (sample ? `${sample.controllerMs}, ${sample.containersMs}, ${sample.couchMs}` : 'n/a');
      console.log(`  ${run.tasks} | ${run.makespanMs} | ${run.bare?.makespanMs ?? 'n/a'} | ${run.makespanOverBare ?? 'n/a'} | ${run.joinLatencyMs} | ${run.orchestratorActivationsPerTask} | ${run.couchRequestsPerTask?.total ?? 'n/a'} (${run.couchRequestsPerTask?.whiskflowDb ?? 'n/a'})`
        + ` | ${cpu(run.cpuMsPerTask)} (${cpu(run.bare?.cpuMsPerTask)}) | ${run.cpuOverBare ?? 'n/a'}`);
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
  .option('--whiskflow-concurrency <n>', "limits.concurrency of the whiskflow actions (orchestrator, task conductor, timer); 1 = stock OpenWhisk; absent = whiskflow deploy's default", positiveInteger)
  .option('--whiskflow-memory <mb>', 'limits.memory of the whiskflow actions (stock default 256, max 512)', nonNegativeInteger)
  .option('--separate-run-store', "the run store on a pouchdb-server of its own instead of the platform's (counted by the same proxy)", false)
  .option('--no-couch-proxy', 'do not put the counting proxy in front of CouchDB (no request counts)')
  .option('--run-timeout-ms <ms>', 'base timeout per run (fan-out adds 300 ms per task, sequences 1 s per task)', nonNegativeInteger, 60_000)
  .option('--max-run-ms <ms>', 'upper bound of a fan-out run (the default bound grows by 300 ms per task)', nonNegativeInteger)
  .option('--stall-ms <ms>', 'give up on a fan-out run when no map task completed for this long', nonNegativeInteger, 60_000)
  .option('--streaming-backends <list>', 'brokers to run the sequences on under the streaming engine too (redis, kafka); empty to skip', choiceList(BACKENDS), [...BACKENDS])
  .option('--map-concurrency <k>', `map \`concurrency\` (window) of the fan-out workflow; absent = the default, ${DEFAULT_MAP_CONCURRENCY}`, positiveInteger)
  .option('--completion-paths <list>', 'how task completions reach the next transition, A/B in one run: chain (the task conductor applies them and continues its composition with the next task), conductor (applies them, invokes a new conductor per task), trigger (fired into the workflow trigger, the orchestrator applies them; `whiskflow deploy --task-events`)', choiceList(COMPLETION_PATHS), [...COMPLETION_PATHS])
  .option('--out <file>', 'JSON report path', 'bench-results/native.json')
  .option('--platform-entry <file>', 'script that runs the platform in a child process', join(__dirname, 'platform-server.js'))
  .option('--actions-dir <dir>', 'webpack bundles of the whiskflow actions', join(__dirname, '../../actions'))
  .action(async (options: Options) => run(options));

program.parseAsync(process.argv).catch((thrown: unknown) => {
  console.error('bench failed:', thrown instanceof Error ? thrown.message : thrown);
  process.exitCode = 1;
});
