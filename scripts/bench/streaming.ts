/**
 * Throughput and latency of ONE Condition Engine process per backend (in-memory, Redis Streams,
 * Kafka): how many completion events per second it consumes, applies to run contexts (pure
 * transition, dedupe, checkpoint) and turns into orchestration events.
 *
 *   npm run build && node dist/scripts/bench/streaming.js [--help]
 *
 * Throughput: `runs` runs of a one-stage map workflow with `elements` tasks each. Every run's
 * `run.started` and its `elements` completions are produced BEFORE the engine starts (a backlog,
 * produced as fast as the broker takes it, one event per message as tasks report, runs interleaved in
 * groups of `--interleave`),
 * so the measurement is the engine draining it: from
 * subscribing until every run is finished. Measured twice per backend, with the run contexts, run
 * heads and `logs` documents in
 * - the in-memory run store (the engine plus the broker), and
 * - the embedded CouchDB (pouchdb-server over HTTP, what `whiskflow engine` uses by default), with a
 *   smaller backlog (`couchRuns`) since every batch costs CouchDB requests.
 * Besides wall-clock events/s it reports the engine process's CPU time per event (the machine is
 * shared; CPU time is what the engine itself costs).
 *
 * Latency: a two-stage workflow (map `work` of `latencyElements` tasks, then task `next`); completions
 * are produced live, one run's at a time, at `latencyRate` events/s; measured is the time from handing
 * the last completion of a run's map to the broker until an observer of the orchestration topic
 * receives the `task.invoke` of `next` (the emitted next-stage event).
 *
 * Redis and Kafka are started on free ports with scripts/services/*.sh unless REDIS_URL /
 * KAFKA_BROKERS name running ones. Writes bench-results/streaming.json; targets are reported, never
 * asserted.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { freePort } from './lib/ports';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Command } from 'commander';
import { positiveInteger } from '../../lib/cli/options';
import { choiceList } from './lib/option-lists';
import { ConditionEngine, WorkflowCatalog } from '../../lib/runtimes/streaming';
import type { EventStream, StreamRecord, Subscription } from '../../lib/runtimes/streaming/brokers';
import { STREAM_EVENT_TYPES } from '../../lib/runtimes/streaming/orchestration-events';
import { createEventStream } from '../../lib/runtimes/streaming/stream-connection';
import { runStarted, taskCompleted } from '../../lib/events/build';
import { toStructuredJson } from '../../lib/events/cloudevent';
import { parseWorkflow } from '../../lib/model/parse';
import { CouchDbRunStore } from '../../lib/store/couchdb';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../lib/store/embedded-couch';
import { MemoryRunStore } from '../../lib/store/memory';
import { docIds, type RunDoc } from '../../lib/store/run-documents';
import type { RunStore } from '../../lib/store/run-store';
import { hostInfo, messageOf, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from './lib/report';
import { rounded, summarize, type Summary } from './lib/stats';

const run = promisify(execFile);
/** Run from the repository root (as `npm run` does), where the service scripts are. */
const SERVICES = resolve(process.cwd(), 'scripts/services');
/** Issue 4: one Condition Engine process drains at least this many completion events per second. */
const TARGET_EVENTS_PER_SECOND = 20_000;

type Backend = 'memory' | 'redis' | 'kafka';
type StoreKind = 'memory' | 'couchdb';

interface Options {
  backends: Backend[];
  stores: StoreKind[];
  runs: number;
  couchRuns: number;
  elements: number;
  partitions: number;
  latencyRuns: number;
  couchLatencyRuns: number;
  latencyElements: number;
  latencyRate: number;
  couchLatencyRate: number;
  out: string;
  /** Runs whose events are interleaved in the backlog (see measureThroughput). */
  interleave: number;
  /** Directory for a V8 CPU profile of each throughput drain (the engine only, not the producer). */
  cpuProfile?: string;
}

interface ThroughputResult {
  backend: Backend;
  store: StoreKind;
  events: number;
  runs: number;
  produceMs: number;
  /** From subscribing until every run finished (joining the consumer group included). */
  drainMs: number;
  /** Until `start()` resolved: joining the group (Kafka: a rebalance round). */
  subscribeMs: number;
  /** events / drainMs: the headline, compared with the target. */
  eventsPerSecond: number;
  /** events / (drainMs - subscribeMs): the engine's rate once consuming. */
  eventsPerSecondConsuming: number;
  /** CPU time (user + system, all threads) of this process while draining: the engine, its broker client, the in-memory store. */
  cpuMs: number;
  cpuMicrosPerEvent: number;
  /** events per CPU second: what one dedicated core would sustain (pouchdb-server's CPU is not included). */
  eventsPerCpuSecond: number;
  outputs: number;
  batches: number;
  meanBatchSize: number;
  /** 1-minute load average of the machine when the drain ended (2 cores; shared). */
  loadAverage: number;
}

interface LatencyResult {
  backend: Backend;
  store: StoreKind;
  runs: number;
  elementsPerRun: number;
  offeredEventsPerSecond: number;
  /** ms from producing a run's last `work` completion to observing the `next` invoke. */
  lastCompletionToNextStageMs: Summary;
  loadAverage: number;
}

const mapWorkflow = parseWorkflow(`
name: bench-map
stages:
  - id: work
    kind: map
    items: $.items
    action: work
`);

const twoStageWorkflow = parseWorkflow(`
name: bench-latency
stages:
  - id: work
    kind: map
    items: $.items
    action: work
  - id: next
    kind: task
    action: next
`);

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = new Date().toISOString();
  const throughput: ThroughputResult[] = [];
  const latency: LatencyResult[] = [];
  const notes: string[] = [
    'One Condition Engine in this process; no Rule Engine, no OpenWhisk. Throughput drains a backlog produced before the engine starts.',
    `Throughput is measured with the in-memory run store (engine + broker) and with the embedded CouchDB (pouchdb-server child, ${options.couchRuns} runs), which adds about two HTTP writes per completion (the \`logs\` documents) plus the run heads and checkpoints.`,
    'cpuMs counts every thread of this process (GC and JIT included); eventsPerCpuSecond is what the engine would sustain on a dedicated core. The machine has 2 cores shared with other work (see loadAverage), so wall-clock rates understate it when loaded.',
    'Latency: completions produced live at latencyRate (CouchDB: couchLatencyRate) events/s, one run\'s map at a time; from handing the last completion of a run to the broker until an observer sees the next stage\'s task.invoke.',
  ];
  const couch = options.stores.includes('couchdb') ? await startCouch() : undefined;
  try {
    for (const backend of options.backends) {
      let service: Service | undefined;
      try {
        service = await startService(backend);
        for (const store of options.stores) {
          const runs = store === 'couchdb' ? options.couchRuns : options.runs;
          await attempt(notes, `${backend}/${store} throughput`, async () => {
            const result = await measureThroughput(backend, (service as Service).url, store, couch, runs, options);
            throughput.push(result);
            console.log(`${backend}/${store}: ${result.events} events in ${result.drainMs.toFixed(0)} ms = ${result.eventsPerSecond.toFixed(0)} events/s`
              + ` (${result.eventsPerSecondConsuming.toFixed(0)} after the ${result.subscribeMs.toFixed(0)} ms group join; ${result.cpuMicrosPerEvent.toFixed(1)} µs CPU/event`
              + ` = ${result.eventsPerCpuSecond.toFixed(0)} events/CPU-s; mean batch ${result.meanBatchSize.toFixed(0)}; load ${result.loadAverage.toFixed(1)})`);
          });
          await attempt(notes, `${backend}/${store} latency`, async () => {
            const result = await measureLatency(backend, (service as Service).url, store, couch, options);
            latency.push(result);
            const summary = result.lastCompletionToNextStageMs;
            console.log(`${backend}/${store}: last completion -> next stage p50 ${summary.p50.toFixed(1)} ms, p90 ${summary.p90.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms`
              + ` (${result.runs} runs at ${result.offeredEventsPerSecond} events/s)`);
          });
        }
      } catch (error) {
        notes.push(`${backend}: not measured: ${messageOf(error)}`);
        console.error(`${backend}: not measured: ${messageOf(error)}`);
      } finally {
        await service?.stop();
      }
    }
  } finally {
    await couch?.stop();
  }
  const targets: TargetVerdict[] = throughput.map((result) =>
    target(`condition engine throughput (${result.backend}, ${result.store === 'memory' ? 'in-memory run store' : 'embedded CouchDB run store'})`,
      `>= ${TARGET_EVENTS_PER_SECOND} events/s`, result.eventsPerSecond, result.eventsPerSecond >= TARGET_EVENTS_PER_SECOND));
  const report: BenchReport = {
    benchmark: 'streaming',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results: {
      throughput: Object.fromEntries(throughput.map((result) => [`${result.backend}/${result.store}`, result])),
      latency: Object.fromEntries(latency.map((result) => [`${result.backend}/${result.store}`, result])),
    },
    targets,
    notes,
  };
  console.log(`wrote ${writeReport(options.out, report)}`);
  printTargets(targets);
}

/** Runs one measurement; a failure is noted and the others go on. */
async function attempt(notes: string[], name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    notes.push(`${name}: not measured: ${messageOf(error)}`);
    console.error(`${name}: not measured: ${messageOf(error)}`);
  }
}

/** A full garbage collection now (V8's `gc`, exposed for this call only). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function measureThroughput(backend: Backend, url: string, storeKind: StoreKind, couch: EmbeddedCouch | undefined, runs: number, options: Options): Promise<ThroughputResult> {
  const suffix = uniqueSuffix();
  const topics = { completions: `bench-completions-${suffix}`, orchestration: `bench-orchestration-${suffix}` };
  const stream: EventStream = createEventStream(url, { partitions: options.partitions });
  const store = await openStore(storeKind, couch, suffix);
  try {
    const producedAt = performance.now();
    const time = new Date().toISOString();
    const items = Array.from({ length: options.elements }, (_, index) => index);
    const runIds = Array.from({ length: runs }, (_, index) => `bench-${suffix}-${index}`);
    // Runs in groups of `interleave`; within a group round by round (every run's start, then every
    // run's first completion, ...), as the tasks of concurrent runs report, and one produce call per
    // round: a call never carries two events of one run, so each event is a message of its own, as a
    // task's report is (a call's events of one key would share an envelope). Groups follow one
    // another, so the engine's batches hold whole runs of the group, as with few wide runs; a group
    // of all runs is the other extreme, every batch a few events of many runs.
    for (let first = 0; first < runIds.length; first += options.interleave) {
      const group = runIds.slice(first, first + options.interleave);
      for (let round = 0; round <= options.elements; round += 1) {
        const roundRecords: StreamRecord[] = group.map((runId) => ({
          key: runId,
          event: toStructuredJson(round === 0
            ? runStarted({ runId, workflow: mapWorkflow.name, input: { items }, time })
            : taskCompleted({ runId, taskKey: `work:1:${round - 1}:1`, result: { index: round - 1 }, time })),
        }));
        for (let start = 0; start < roundRecords.length; start += 1000) await stream.produceBatch(topics.completions, roundRecords.slice(start, start + 1000));
      }
    }
    const produceMs = performance.now() - producedAt;
    // The producer is not part of the engine: collect its garbage before the engine's CPU is counted
    // (else a major GC of the backlog's leftovers lands in the engine's time).
    const produced = runs * (options.elements + 1);
    collectGarbage();

    const engine = new ConditionEngine({ stream, store, workflows: new WorkflowCatalog([mapWorkflow]), topics, consumer: `bench-${backend}` });
    const profiler = options.cpuProfile ? await startProfiler() : undefined;
    const cpuBefore = process.cpuUsage();
    const drainStart = performance.now();
    await engine.start();
    const subscribeMs = performance.now() - drainStart;
    // Runs finish in partition order, not run order: wait for all the events, then for every head.
    // CouchDB is polled less often: each look is a request to the server the engine is writing to.
    const pollMs = storeKind === 'memory' ? 5 : 50;
    while (engine.stats.events < produced) await sleep(5);
    for (const runId of runIds) {
      while ((await store.get<RunDoc>(docIds.run(runId)))?.status !== 'succeeded') await sleep(pollMs);
    }
    const drainMs = performance.now() - drainStart;
    const cpu = process.cpuUsage(cpuBefore);
    const loadAverage = loadavg()[0] ?? Number.NaN;
    if (profiler && options.cpuProfile) console.log(`cpu profile: ${await profiler.stopInto(options.cpuProfile, `${backend}-${storeKind}`)}`);
    await engine.stop();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      backend,
      store: storeKind,
      events: produced,
      runs,
      produceMs,
      drainMs,
      subscribeMs,
      eventsPerSecond: produced / (drainMs / 1000),
      eventsPerSecondConsuming: produced / (Math.max(1, drainMs - subscribeMs) / 1000),
      cpuMs,
      cpuMicrosPerEvent: (cpuMs * 1000) / produced,
      eventsPerCpuSecond: produced / (cpuMs / 1000),
      outputs: engine.stats.outputs,
      batches: engine.stats.batches,
      meanBatchSize: engine.stats.events / Math.max(1, engine.stats.batches),
      loadAverage,
    };
  } finally {
    await stream.close();
  }
}

/** A V8 CPU profile of this process from now until `stopInto`, which writes it as `<dir>/<name>.cpuprofile`. */
async function startProfiler(): Promise<{ stopInto(dir: string, name: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stopInto(dir: string, name: string): Promise<string> {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${name}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}

async function measureLatency(backend: Backend, url: string, storeKind: StoreKind, couch: EmbeddedCouch | undefined, options: Options): Promise<LatencyResult> {
  const suffix = uniqueSuffix();
  const topics = { completions: `bench-lat-completions-${suffix}`, orchestration: `bench-lat-orchestration-${suffix}` };
  const stream: EventStream = createEventStream(url, { partitions: options.partitions });
  const store = await openStore(storeKind, couch, `lat_${suffix}`);
  const runCount = storeKind === 'couchdb' ? options.couchLatencyRuns : options.latencyRuns;
  const runIds = Array.from({ length: runCount }, (_, index) => `lat-${suffix}-${index}`);
  const workInvokes = new Set<string>();
  const nextSeenAt = new Map<string, number>();
  let observer: Subscription | undefined;
  const engine = new ConditionEngine({ stream, store, workflows: new WorkflowCatalog([twoStageWorkflow]), topics, consumer: `bench-latency-${backend}` });
  try {
    observer = await stream.subscribe({
      topic: topics.orchestration,
      group: `bench-observer-${suffix}`,
      consumer: 'observer',
      handler: async (batch) => {
        const now = performance.now();
        for (const delivered of batch.events) {
          const event = delivered.event as { type?: string; data?: { runId?: string; taskKey?: string } };
          if (event.type !== STREAM_EVENT_TYPES.taskInvoke || !event.data?.runId || !event.data.taskKey) continue;
          if (event.data.taskKey.startsWith('next:')) {
            if (!nextSeenAt.has(event.data.runId)) nextSeenAt.set(event.data.runId, now);
          } else {
            workInvokes.add(`${event.data.runId}/${event.data.taskKey}`);
          }
        }
      },
    });
    await engine.start();
    const time = new Date().toISOString();
    const items = Array.from({ length: options.latencyElements }, (_, index) => index);
    // Every run started (and its map's invokes seen) before the clock runs: the engine and the observer are live.
    await stream.produceBatch(topics.completions, runIds.map((runId) => ({ key: runId, event: toStructuredJson(runStarted({ runId, workflow: twoStageWorkflow.name, input: { items }, time })) })));
    await waitFor('the latency runs started', 120_000, () => workInvokes.size >= runIds.length * options.latencyElements);

    const handedAt = new Map<string, number>();
    const rate = storeKind === 'couchdb' ? options.couchLatencyRate : options.latencyRate;
    const intervalMs = (options.latencyElements / rate) * 1000;
    const paceStart = performance.now();
    for (const [position, runId] of runIds.entries()) {
      const dueAt = paceStart + position * intervalMs;
      const wait = dueAt - performance.now();
      if (wait > 0) await sleep(wait);
      const records = items.map((index) => ({ key: runId, event: toStructuredJson(taskCompleted({ runId, taskKey: `work:1:${index}:1`, result: { index }, time: new Date().toISOString() })) }));
      handedAt.set(runId, performance.now());
      await stream.produceBatch(topics.completions, records);
    }
    await waitFor('every next stage invoked', 120_000, () => nextSeenAt.size >= runIds.length);
    const samples = runIds.map((runId) => (nextSeenAt.get(runId) as number) - (handedAt.get(runId) as number));
    return {
      backend,
      store: storeKind,
      runs: runIds.length,
      elementsPerRun: options.latencyElements,
      offeredEventsPerSecond: rate,
      lastCompletionToNextStageMs: rounded(summarize(samples)),
      loadAverage: loadavg()[0] ?? Number.NaN,
    };
  } finally {
    await engine.stop().catch(() => undefined);
    await observer?.close().catch(() => undefined);
    await stream.close();
  }
}

async function openStore(kind: StoreKind, couch: EmbeddedCouch | undefined, suffix: string): Promise<RunStore> {
  if (kind === 'memory') return new MemoryRunStore();
  if (!couch) throw new Error('the embedded CouchDB is not running');
  const store = new CouchDbRunStore({ url: couch.url, dbname: `bench_streaming_${suffix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}` });
  await store.ensureReady();
  return store;
}

async function startCouch(): Promise<EmbeddedCouch & { stop(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'whiskflow-bench-streaming-couch-'));
  const couch = await startEmbeddedCouch({ dataDir, port: 0 });
  return {
    ...couch,
    async stop() {
      await couch.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Service {
  url: string;
  stop(): Promise<void>;
}

async function startService(backend: Backend): Promise<Service> {
  if (backend === 'memory') return { url: 'memory://', stop: async () => {} };
  if (backend === 'redis' && process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  if (backend === 'kafka' && process.env.KAFKA_BROKERS) return { url: `kafka://${process.env.KAFKA_BROKERS}`, stop: async () => {} };
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `whiskflow-bench-${backend}-`));
  await run('bash', [join(SERVICES, `start-${backend}.sh`), String(port), dir], { timeout: 120_000 });
  return {
    url: `${backend}://127.0.0.1:${port}`,
    async stop() {
      await run('bash', [join(SERVICES, `stop-${backend}.sh`), dir], { timeout: 60_000 }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}


function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function waitFor(what: string, timeoutMs: number, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(2);
  }
}

function parseOptions(): Options {
  const program = new Command('bench-streaming')
    .option('--backends <list>', 'comma-separated: memory,redis,kafka', choiceList<Backend>(['memory', 'redis', 'kafka']), ['memory', 'redis', 'kafka'] as Backend[])
    .option('--stores <list>', 'run stores: memory,couchdb', choiceList<StoreKind>(['memory', 'couchdb']), ['memory', 'couchdb'] as StoreKind[])
    .option('--runs <n>', 'runs in the backlog (in-memory run store)', positiveInteger, 1000)
    .option('--couch-runs <n>', 'runs in the backlog with the CouchDB run store', positiveInteger, 20)
    .option('--elements <n>', 'map elements (completion events) per run', positiveInteger, 50)
    .option('--partitions <n>', 'partitions of the completion topic', positiveInteger, 8)
    .option('--latency-runs <n>', 'runs in the latency measurement (in-memory run store)', positiveInteger, 200)
    .option('--couch-latency-runs <n>', 'runs in the latency measurement with the CouchDB run store', positiveInteger, 20)
    .option('--latency-elements <n>', 'map elements per run in the latency measurement', positiveInteger, 10)
    .option('--latency-rate <n>', 'completion events per second offered in the latency measurement', positiveInteger, 1000)
    .option('--couch-latency-rate <n>', 'the same with the CouchDB run store (kept below its throughput, or it measures a queue)', positiveInteger, 20)
    .option('--out <file>', 'report file', 'bench-results/streaming.json')
    .option('--interleave <n>', 'runs whose events are interleaved in the throughput backlog (one produce call per round of them); the engine batches whole runs of such a group', positiveInteger, 20)
    .option('--cpu-profile <dir>', 'write a V8 CPU profile of each throughput drain into this directory (profiling slows the engine: not for the headline numbers)')
    .parse(process.argv);
  return program.opts<Options>();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
