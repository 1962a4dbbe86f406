/**
 * Fan-out/fan-in side by side: the same workflow (a `map` over n no-op tasks, then a `reduce` no-op)
 * under the native reactive orchestrator and under the streaming engines on Redis Streams and on Kafka,
 * in ONE run on ONE local platform (issue 4, item 6). Per system and size: makespan, join latency (last
 * map no-op's end → the reduce no-op's start, from the platform's activation records), activations per
 * task, CouchDB requests per task (every store and platform request goes through a counting proxy),
 * and CPU per task of the platform, its containers, CouchDB and the engine process.
 *
 *   npm run build && node dist/scripts/bench/streaming/fanout.js --sizes 10,100,1000 [--help]
 *
 * Systems are interleaved per size (order rotated), each run has a time bound, and a run that fails or
 * times out is recorded with its error instead of ending the benchmark. Writes
 * bench-results/streaming-fanout.json; targets are reported, never asserted.
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import openwhisk from 'openwhisk';
import { niceLevel, positiveInteger } from '../../../lib/cli/options';
import { choiceList, numberList } from '../lib/option-lists';
import { DEFAULT_CONTAINER_NICE } from '../../../lib/platform/runtime';
import { startStreamRun } from '../../../lib/runtimes/streaming';
import { requestRun } from '../../../lib/runs/run-client';
import { toWorkflow } from '../../../lib/model/parse';
import { DEFAULT_MAP_CONCURRENCY } from '../../../lib/model/workflow';
import { createRunStore, type StoreConfig } from '../../../lib/store/config';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';
import type { RunStore, StoredDoc } from '../../../lib/store/run-store';
import { INVOKE_CLAIM_PREFIX, type InvokeClaim } from '../../../lib/runtimes/streaming/invoke-claims';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../../lib/store/embedded-couch';
import { deployRuntime } from '../../../lib/deploy/runtime';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import type { ManagementClient } from '../../../lib/openwhisk/client';
import type { DeliveryClient } from '../../../lib/openwhisk/client';
import { settle, startChildPlatform, type ChildPlatform } from '../lib/child-platform';
import { childrenCpuMs, commandLine, descendants, readCpu } from '../lib/proc';
import { hostInfo, messageOf, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from '../lib/report';
import { rounded } from '../lib/stats';
import { diffCounts, startCountingProxy, type CountingProxy } from '../native/couch-proxy';
import { isColdStart, type ActivationSummary } from '../native/activations';
import { repositoryRoot, startStreamingEngine, stopStreamingEngine, type Backend, type StreamingEngine } from './processes';

export const SYSTEMS = ['native', 'streaming-redis', 'streaming-kafka'] as const;
export type System = (typeof SYSTEMS)[number];

export interface FanoutOptions {
  sizes: number[];
  systems: System[];
  /** Base time bound per run; each task adds `perTaskMs`. */
  runTimeoutMs: number;
  perTaskMs: number;
  maxContainers: number;
  /** Niceness of the action containers below the platform (runtime containerNice; 0 = same priority). */
  containerNice: number;
  /** limits.concurrency of the whiskflow actions (native model); 1 is stock OpenWhisk. */
  whiskflowConcurrency?: number;
  /** limits.memory (MB) of the whiskflow actions (native model); absent = the action default (256). */
  whiskflowMemory?: number;
  /** The map's `concurrency`; absent = the language default (DEFAULT_MAP_CONCURRENCY). */
  mapConcurrency?: number;
  out: string;
}

type Client = ReturnType<typeof openwhisk> & ManagementClient & DeliveryClient;

interface CpuSample { platformMs: number; containersMs: number; couchMs: number; engineMs: number; brokerMs: number }

export interface FanoutSample {
  system: System;
  tasks: number;
  ok: boolean;
  status: string;
  runId?: string;
  error?: string;
  /** Client submit → the run head's endedAt. */
  makespanMs?: number;
  /** Last map no-op activation end → the reduce no-op activation start. */
  joinLatencyMs?: number;
  mapNoopActivations?: number;
  reduceNoopActivations?: number;
  /** Every activation of the run's window (no-ops, orchestrator, task conductor, ...) per map task. */
  activationsPerTask?: number;
  activationsByName?: Record<string, number>;
  /** The run window's activations that paid a cold start (a new container), by action. */
  coldStartsByName?: Record<string, number>;
  couchRequestsPerTask?: { total: number; whiskflowDb: number; platformDbs: number };
  cpuMsPerTask?: CpuSample;
  /** Streaming only: where the join latency went, from the Rule Engine's invoke claims (engine clock). */
  joinBreakdown?: StreamingJoinBreakdown;
}

const NOOP_CODE = 'function main() { return {}; }';
const DATABASE = 'whiskflow';

const workflowName = (system: System) => `sfan-${system}`;
const mapAction = (system: System) => `sfan-map-${system}`;
const reduceAction = (system: System) => `sfan-reduce-${system}`;
const backendOf = (system: System): Backend | undefined => (system === 'streaming-redis' ? 'redis' : system === 'streaming-kafka' ? 'kafka' : undefined);

interface World {
  options: FanoutOptions;
  ow: Client;
  store: RunStore;
  platform: ChildPlatform;
  proxy: CountingProxy;
  couchPid?: number;
  streams: Partial<Record<System, StreamingEngine>>;
}

/** The comparison: starts everything, runs every size on every system, returns the report. */
export async function compareFanout(options: FanoutOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const samples: FanoutSample[] = [];
  const errors: string[] = [];
  const dataDir = mkdtempSync(join(os.tmpdir(), 'whiskflow-bench-fanout-'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let couch: EmbeddedCouch | undefined;
  let proxy: CountingProxy | undefined;
  let platform: ChildPlatform | undefined;
  const streams: World['streams'] = {};
  mkdirSync(dirname(options.out), { recursive: true });
  try {
    couch = await startEmbeddedCouch({ dataDir, port: 0 });
    const couchPid = descendants(process.pid).find((pid) => /pouchdb-server/.test(commandLine(pid)));
    proxy = await startCountingProxy(couch.url);
    platform = await startChildPlatform(join(repositoryRoot(), 'dist/scripts/bench/platform-server.js'), {
      platformOptions: { couchUrl: proxy.url, activationCacheSize: 300_000, runtime: { maxContainers: options.maxContainers, containerNice: options.containerNice } },
    });
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace, agent }) as unknown as Client;
    // The orchestrator and the engines reach the store through the proxy (counted); the benchmark's own
    // polling goes to CouchDB directly.
    const countedStore: StoreConfig = { kind: 'couchdb', url: proxy.url, dbname: DATABASE };
    const store = createRunStore({ kind: 'couchdb', url: couch.url, dbname: DATABASE });
    await store.ensureReady();
    await deployRuntime(ow, countedStore, join(repositoryRoot(), 'dist/actions'), { ...(options.whiskflowConcurrency !== undefined ? { concurrency: options.whiskflowConcurrency } : {}), ...(options.whiskflowMemory ? { memoryMb: options.whiskflowMemory } : {}) });
    for (const system of options.systems) {
      for (const name of [mapAction(system), reduceAction(system)]) await ow.actions.update({ name, action: { exec: { kind: 'nodejs:20', code: NOOP_CODE } } } as never);
      await deployWorkflow(ow, store, toWorkflow({
        name: workflowName(system),
        stages: [
          { id: 'map', kind: 'map', action: mapAction(system), items: '$.items', ...(options.mapConcurrency ? { concurrency: options.mapConcurrency } : {}) },
          { id: 'reduce', kind: 'reduce', action: reduceAction(system) },
        ],
      }));
      const backend = backendOf(system);
      if (!backend) continue;
      try {
        streams[system] = await startStreamingEngine(backend, {
          topicPrefix: `sfan-${backend}.`, name: `bench-${backend}`, apihost: platform.apihost, auth: platform.auth, couchUrl: proxy.url, database: DATABASE, partitions: 8,
        });
      } catch (thrown) {
        errors.push(`${system}: could not start: ${messageOf(thrown)}`);
      }
    }
    const world: World = { options, ow, store, platform, proxy, ...(couchPid ? { couchPid } : {}), streams };
    console.log(`platform ${platform.apihost} (pid ${platform.pid}); CouchDB behind counting proxy ${proxy.url}; systems ${options.systems.join(', ')}`);

    const systems = options.systems.filter((system) => system === 'native' || streams[system]);
    // Untimed warm-up: containers, JIT, topic creation and consumer group joins.
    for (const system of systems) {
      const warm = await fanoutOnce(world, system, 10);
      if (!warm.ok) errors.push(`warm-up ${system}: ${warm.error ?? warm.status}`);
    }
    for (const [round, size] of options.sizes.entries()) {
      const order = systems.map((_, i) => systems[(i + round) % systems.length]!);
      for (const system of order) {
        const sample = await fanoutOnce(world, system, size);
        samples.push(sample);
        // Long runs (10,000 tasks) keep what they measured so far next to the report.
        writeFileSync(`${options.out}.partial`, `${JSON.stringify(samples.map((s) => rounded(s)), null, 2)}\n`);
        console.log(`  ${system} n=${size}: ${sample.ok ? 'ok' : `FAILED (${sample.error ?? sample.status})`}`
          + `${sample.makespanMs !== undefined ? `, makespan ${sample.makespanMs} ms` : ''}${sample.joinLatencyMs !== undefined ? `, join ${sample.joinLatencyMs} ms` : ''}`
          + `${sample.joinBreakdown ? ` (${JSON.stringify(sample.joinBreakdown)})` : ''}`
          + `${sample.activationsPerTask !== undefined ? `, activations/task ${sample.activationsPerTask.toFixed(2)}` : ''}`
          + `${sample.couchRequestsPerTask ? `, CouchDB req/task ${sample.couchRequestsPerTask.total.toFixed(1)} (whiskflow db ${sample.couchRequestsPerTask.whiskflowDb.toFixed(1)})` : ''}`);
        if (!sample.ok) notes.push(`${system} n=${size} did not finish cleanly (${sample.error ?? sample.status}); runs after it may share the platform with its leftovers`);
      }
    }
  } catch (thrown) {
    errors.push(`benchmark: ${messageOf(thrown)}`);
  } finally {
    await Promise.allSettled(Object.values(streams).map(stopStreamingEngine));
    agent.destroy();
    await platform?.stop().catch(() => undefined);
    await proxy?.stop().catch(() => undefined);
    await couch?.stop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }

  // A size listed k times is run k times: its k-th row shows each system's k-th run of it.
  const bySize = options.sizes.map((size, i) => {
    const round = options.sizes.slice(0, i).filter((earlier) => earlier === size).length;
    return {
      tasks: size,
      ...Object.fromEntries(options.systems.map((system) => {
        const sample = samples.filter((s) => s.system === system && s.tasks === size)[round];
        return [system, sample ? summaryOf(sample) : null];
      })),
    };
  });
  return {
    benchmark: 'streaming-fanout',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results: { bySize, samples: samples.map((sample) => rounded(sample)), errors },
    targets: verdicts(samples, options),
    notes: [
      'one local platform (child process, maxContainers as in options), one embedded CouchDB behind a counting proxy; native and both streaming engines run the same workflow shape (map of n no-ops, then a reduce no-op) with their own action names',
      'streaming: `whiskflow engine` (Condition + Rule Engine) in its own process per backend, default settings (activations first read 20 ms after the invoke, rounds at most 100 ms apart, 16 concurrent invokes/reads), run state in the same CouchDB database as the native orchestrator',
      'makespan = submit (trigger fire / run.started produced) → run head endedAt; join latency = last map no-op activation end → reduce no-op activation start (platform activation records)',
      'activations per task = every activation that started in the run window (no-ops, orchestrator, task conductor, timer) / n; CouchDB requests per task = requests through the proxy during the run (whiskflowDb = run state; platformDbs = entities and activation records) / n',
      'cpuMsPerTask: platform = the controller process; containers = action processes; couch = pouchdb-server; engine = the `whiskflow engine` process (streaming only); broker = redis-server / Kafka JVM (streaming only, when started here)',
      `native: whiskflow actions at limits.concurrency ${options.whiskflowConcurrency ?? "whiskflow deploy's default (32 where the platform allows it)"}${options.whiskflowConcurrency === 1 ? ' (stock)' : ' (stock OpenWhisk allows 1)'}, limits.memory ${options.whiskflowMemory ?? 'default (256)'} MB`,
      `sizes are interleaved per round, order rotated; each run is bounded by ${options.runTimeoutMs} ms + ${options.perTaskMs} ms per task`,
      `map concurrency: ${options.mapConcurrency ?? `absent (the default window, ${DEFAULT_MAP_CONCURRENCY})`}`,
      `load average (1, 5, 15 min) at the end: ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}`,
      ...notes,
    ],
  };
}

function summaryOf(sample: FanoutSample) {
  return sample.ok
    ? { makespanMs: sample.makespanMs, joinLatencyMs: sample.joinLatencyMs, activationsPerTask: rounded({ v: sample.activationsPerTask ?? Number.NaN }).v, couchRequestsPerTask: sample.couchRequestsPerTask ? rounded(sample.couchRequestsPerTask, 2) : null }
    : { error: sample.error ?? sample.status };
}

/**
 * The streaming join, from the invoke claims: the last map completion the Rule Engine produced
 * (`reportedAt`: activation poll and produce), the reduce task's claim (`claimedAt`: Condition
 * Engine consume, join, checkpoint, output produce, Rule Engine consume), the reduce activation's
 * start (claim, invoke, platform start).
 */
interface StreamingJoinBreakdown {
  lastMapEndToReportedMs: number;
  reportedToReduceClaimedMs: number;
  reduceClaimedToStartMs: number;
}

async function streamingJoinBreakdown(store: RunStore, runId: string, lastMapEnd: number, reduceActivationId: string | undefined, reduceStart: number): Promise<StreamingJoinBreakdown | undefined> {
  const claims = (await store.listByPrefix<InvokeClaim>(`${INVOKE_CLAIM_PREFIX}${runId}/`, { includeDocs: true }))
    .map((row) => row.doc)
    .filter((doc): doc is StoredDoc<InvokeClaim> => doc !== undefined);
  const reduce = claims.find((claim) => claim.activationId === reduceActivationId);
  const lastReportedAt = Math.max(...claims.filter((claim) => claim !== reduce).map((claim) => claim.reportedAt ?? Number.NaN));
  if (!reduce || !Number.isFinite(lastReportedAt)) return undefined;
  return {
    lastMapEndToReportedMs: lastReportedAt - lastMapEnd,
    reportedToReduceClaimedMs: reduce.claimedAt - lastReportedAt,
    reduceClaimedToStartMs: reduceStart - reduce.claimedAt,
  };
}

async function fanoutOnce(world: World, system: System, tasks: number): Promise<FanoutSample> {
  const { ow, store, proxy, platform } = world;
  const deadline = Date.now() + world.options.runTimeoutMs + tasks * world.options.perTaskMs;
  await settle(platform);
  const input = { items: Array.from({ length: tasks }, (_, i) => ({ i })) };
  const couchBefore = proxy.snapshot();
  const cpuBefore = cpuSample(world, system);
  const t0 = Date.now();
  let runId: string | undefined;
  try {
    if (system === 'native') {
      runId = (await requestRun(ow, workflowName(system), input)).runId;
    } else {
      const entry = world.streams[system];
      if (!entry) throw new Error(`${system} is not running`);
      runId = await startStreamRun(entry.stream, { workflow: workflowName(system), input, topic: entry.completions });
    }
    let run: RunDoc | undefined;
    for (;;) {
      run = await store.get<RunDoc>(docIds.run(runId));
      if (run && run.status !== 'running') break;
      if (Date.now() > deadline) return { system, tasks, ok: false, status: run?.status ?? 'not started', runId, error: `still ${run ? 'running' : 'not started'} after ${deadline - t0} ms` };
      await sleep(100);
    }
    const end = run.endedAt ?? Number.NaN;
    const settled = await settle(platform);
    const couch = diffCounts(proxy.snapshot(), couchBefore);
    const cpuAfter = cpuSample(world, system);
    const activations = await listActivations(ow, t0);
    const byName: Record<string, number> = {};
    for (const record of activations) byName[record.name] = (byName[record.name] ?? 0) + 1;
    const coldByName: Record<string, number> = {};
    for (const record of activations.filter(isColdStart)) coldByName[record.name] = (coldByName[record.name] ?? 0) + 1;
    const maps = activations.filter((record) => record.name === mapAction(system));
    const reduces = activations.filter((record) => record.name === reduceAction(system));
    const lastMapEnd = Math.max(...maps.map((record) => record.end ?? record.start));
    const reduceStart = Math.min(...reduces.map((record) => record.start));
    const whiskflowDb = couch.byDatabase[DATABASE] ?? 0;
    const ok = run.status === 'succeeded' && maps.length === tasks && reduces.length === 1;
    const joinBreakdown = system === 'native' || !ok ? undefined
      : await streamingJoinBreakdown(store, runId, lastMapEnd, reduces[0]?.activationId, reduceStart);
    return {
      system, tasks, ok, status: run.status, runId,
      ...(ok ? {} : { error: `status ${run.status}, ${maps.length}/${tasks} map and ${reduces.length} reduce activations${settled ? '' : ', platform still busy'}` }),
      makespanMs: end - t0,
      joinLatencyMs: reduceStart - lastMapEnd,
      mapNoopActivations: maps.length,
      reduceNoopActivations: reduces.length,
      activationsPerTask: activations.length / tasks,
      activationsByName: byName,
      coldStartsByName: coldByName,
      couchRequestsPerTask: { total: couch.total / tasks, whiskflowDb: whiskflowDb / tasks, platformDbs: (couch.total - whiskflowDb) / tasks },
      cpuMsPerTask: rounded(cpuDiff(cpuAfter, cpuBefore, tasks)),
      ...(joinBreakdown ? { joinBreakdown } : {}),
    };
  } catch (thrown) {
    return { system, tasks, ok: false, status: 'error', ...(runId ? { runId } : {}), error: messageOf(thrown) };
  }
}

/** Every activation that started at or after `since` (the list API, paged by 200). */
async function listActivations(ow: Client, since: number): Promise<ActivationSummary[]> {
  const found = new Map<string, ActivationSummary>();
  for (let skip = 0; ; skip += 200) {
    const page = (await ow.activations.list({ since, limit: 200, skip })) as unknown as ActivationSummary[];
    for (const record of page) found.set(record.activationId, record);
    if (page.length < 200) break;
  }
  return [...found.values()];
}


function cpuSample(world: World, system: System): CpuSample {
  const children = childrenCpuMs(world.platform.pid, /pouchdb-server/);
  const couch = world.couchPid !== undefined ? readCpu(world.couchPid) : undefined;
  const entry = world.streams[system];
  const engine = entry ? readCpu(entry.engine.pid) : undefined;
  const broker = entry?.broker.pid !== undefined ? readCpu(entry.broker.pid) : undefined;
  return {
    platformMs: readCpu(world.platform.pid)?.selfMs ?? Number.NaN,
    containersMs: children?.otherMs ?? Number.NaN,
    couchMs: couch ? couch.selfMs + couch.reapedChildrenMs : Number.NaN,
    engineMs: engine ? engine.selfMs : 0,
    brokerMs: broker ? broker.selfMs : 0,
  };
}

function cpuDiff(after: CpuSample, before: CpuSample, per: number): CpuSample {
  const keys = Object.keys(after) as (keyof CpuSample)[];
  return Object.fromEntries(keys.map((key) => [key, (after[key] - before[key]) / per])) as unknown as CpuSample;
}

function verdicts(samples: readonly FanoutSample[], options: FanoutOptions): TargetVerdict[] {
  const list: TargetVerdict[] = [];
  const largest = 10_000;
  const native = samples.find((s) => s.system === 'native' && s.tasks === largest);
  for (const system of ['streaming-redis', 'streaming-kafka'] as const) {
    const name = `streaming join latency at 10,000 tasks < native's (${system})`;
    const streaming = samples.find((s) => s.system === system && s.tasks === largest);
    if (!options.sizes.includes(largest) || !options.systems.includes(system)) {
      list.push(target(name, '< native join latency', 'not run', false));
    } else if (!streaming?.ok) {
      list.push(target(name, '< native join latency', `streaming failed: ${streaming?.error ?? 'no sample'}`, false));
    } else if (!native?.ok) {
      // The native run did not finish within its bound: the streaming join, measured, beats no join.
      list.push(target(name, '< native join latency', `streaming ${streaming.joinLatencyMs} ms; native did not finish (${native?.error ?? 'not run'})`, native !== undefined));
    } else {
      list.push(target(name, '< native join latency', `${streaming.joinLatencyMs} ms vs native ${native.joinLatencyMs} ms`, (streaming.joinLatencyMs ?? Infinity) < (native.joinLatencyMs ?? -Infinity)));
    }
  }
  return list;
}

function printSummary(report: BenchReport): void {
  const results = report.results as { bySize: Record<string, unknown>[]; errors: string[] };
  console.log('fan-out/fan-in: tasks | system | makespan ms | join ms | activations/task | CouchDB req/task');
  for (const row of results.bySize) {
    for (const system of SYSTEMS) {
      const cell = row[system] as ReturnType<typeof summaryOf> | null | undefined;
      if (!cell) continue;
      if ('error' in cell) console.log(`  ${String(row.tasks)} | ${system} | FAILED: ${cell.error}`);
      else console.log(`  ${String(row.tasks)} | ${system} | ${cell.makespanMs} | ${cell.joinLatencyMs} | ${cell.activationsPerTask} | ${cell.couchRequestsPerTask?.total ?? 'n/a'}`);
    }
  }
  for (const error of results.errors) console.log(`error: ${error}`);
  console.log('targets:');
  printTargets(report.targets);
}

if (require.main === module) {
  const program = new Command('bench-streaming-fanout')
    .description('fan-out/fan-in of n no-op tasks: native vs streaming (Redis, Kafka) on one local platform')
    .option('--sizes <list>', 'map sizes', numberList(positiveInteger), [10, 100, 1000, 10_000])
    .option('--systems <list>', `systems: ${SYSTEMS.join(',')}`, choiceList(SYSTEMS), [...SYSTEMS])
    .option('--run-timeout-ms <ms>', 'base time bound per run', positiveInteger, 60_000)
    .option('--per-task-ms <ms>', 'time bound added per task', positiveInteger, 300)
    .option('--max-containers <n>', "the runtime's container limit", positiveInteger, 48)
    .option('--container-nice <n>', 'niceness of the action containers below the platform and CouchDB (0 = same priority)', niceLevel, DEFAULT_CONTAINER_NICE)
    .option('--whiskflow-concurrency <n>', "limits.concurrency of the whiskflow actions for the native model (1 = stock OpenWhisk; absent = whiskflow deploy's default)", positiveInteger)
    .option('--whiskflow-memory <mb>', 'limits.memory of the whiskflow actions for the native model (stock default 256, max 512)', positiveInteger)
    .option('--map-concurrency <k>', `the map's \`concurrency\` (window); absent = the default, ${DEFAULT_MAP_CONCURRENCY}`, positiveInteger)
    .option('--out <file>', 'JSON report path', 'bench-results/streaming-fanout.json')
    .action(async (options: FanoutOptions) => {
      const report = await compareFanout(options);
      const path = writeReport(options.out, report);
      rmSync(`${options.out}.partial`, { force: true });
      printSummary(report);
      console.log(`wrote ${path}`);
    });
  program.parseAsync(process.argv).catch((thrown: unknown) => {
    console.error('bench failed:', messageOf(thrown));
    process.exitCode = 1;
  });
}
