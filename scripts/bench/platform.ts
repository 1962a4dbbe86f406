/**
 * Benchmark of the local platform through the official `openwhisk` client: warm and cold invoke
 * latency, non-blocking throughput at several concurrencies, the platform's CPU per activation,
 * trigger fire → rule → action start latency, and memory per warm container.
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench/platform.js [--help]
 *
 * Writes bench-results/platform.json. Targets are reported with a pass flag, never asserted.
 */
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { nonNegativeInteger, positiveInteger } from '../../lib/cli/options';
import { numberList } from './lib/option-lists';
import openwhisk from 'openwhisk';
import { startChildPlatform, type ChildPlatform } from './lib/child-platform';
import { measureHttpBaseline, type HttpBaseline } from './lib/baseline';
import { childrenCpuMs, commandLine, descendants, readCpu, rssBytes } from './lib/proc';
import { hostInfo, phaseRunner, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from './lib/report';
import { benchRuntimes, coldStartsOf, describeRuntime, runtimeTargets, type BenchLanguage, type RuntimeBench } from './lib/runtimes';
import { rounded, summarize, type Summary } from './lib/stats';

type Client = ReturnType<typeof openwhisk>;
type ActivationRecord = Awaited<ReturnType<Client['activations']['get']>>;

interface Options {
  warmInvokes: number;
  warmUpInvokes: number;
  coldStarts: number;
  concurrency: number[];
  minActivationsPerLevel: number;
  fires: number;
  completionTimeoutMs: number;
  out: string;
  platformEntry: string;
  maxContainers?: number;
  userMemoryMb?: number;
  cpuProfileDir?: string;
  runtimes: BenchLanguage[];
  runtimeWarmInvokes: number;
  runtimeColdStarts: number;
}

const NOOP_ACTION = 'bench-noop';
const NOOP_CODE = 'function main() { return {}; }';
const TRIGGER = 'bench-trigger';
const RULE = 'bench-rule';
/** At most this many untimed activations warm the pool before each concurrency level. */
const WARM_UP_CAP = 32;

// ---- measurements ---------------------------------------------------------------------------

/** The embedded CouchDB runs as a child of the platform; its CPU is platform overhead, not the actions'. */
const COUCH_PROCESS = /pouchdb-server/;

interface CpuUse {
  /** The controller process (REST API, invoker, container pool). */
  controllerMs: number;
  /** The embedded CouchDB child process (activation and entity writes). */
  couchMs: number;
  /** Action containers, live and exited. */
  containersMs: number;
}

/** CPU used by the platform's processes since construction, from /proc. */
class CpuMeter {
  private readonly start: CpuUse;
  constructor(private readonly pid: number) {
    this.start = CpuMeter.sample(pid);
  }
  private static sample(pid: number): CpuUse {
    const children = childrenCpuMs(pid, COUCH_PROCESS);
    return {
      controllerMs: readCpu(pid)?.selfMs ?? Number.NaN,
      couchMs: children?.separatedMs ?? Number.NaN,
      containersMs: children?.otherMs ?? Number.NaN,
    };
  }
  /** CPU per activation since construction. */
  perActivation(activations: number): CpuUse & { platformMs: number } {
    const now = CpuMeter.sample(this.pid);
    const per = (key: keyof CpuUse) => (now[key] - this.start[key]) / Math.max(1, activations);
    const controllerMs = per('controllerMs');
    const couchMs = per('couchMs');
    return { controllerMs, couchMs, platformMs: controllerMs + couchMs, containersMs: per('containersMs') };
  }
}

const DRAINED_NOTE = 'CPU read when the platform reported no busy or queued containers and no pending record writes';

/**
 * Waits until the platform has no busy or queued containers and has written every activation record,
 * so that a phase's CPU includes the writes behind it (and nothing of the next phase). Returns the note
 * that goes with the CPU figures.
 */
async function untilDrained(platform: ChildPlatform, deadline: number): Promise<string> {
  try {
    for (;;) {
      const stats = await platform.stats();
      if (stats.busy === 0 && stats.queued === 0 && stats.pendingActivationWrites === 0) return DRAINED_NOTE;
      if (Date.now() > deadline) throw new Error('runtime still busy at the completion deadline');
      await sleep(20);
    }
  } catch (thrown: unknown) {
    return `CPU includes polling: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  }
}

/**
 * Warm blocking invokes, after `warmUp` untimed ones: a platform runs for hours, so its per-activation
 * cost is the one after V8 has compiled the invoke path; the first few hundred activations after a
 * start also pay for that compilation (about 1 ms of CPU each on the benchmark machine).
 */
async function warmBlocking(ow: Client, platform: ChildPlatform, invokes: number, warmUp: number, timeoutMs: number) {
  for (let i = 0; i < Math.max(5, warmUp); i += 1) await ow.actions.invoke({ name: NOOP_ACTION, blocking: true });
  await untilDrained(platform, Date.now() + timeoutMs);
  const cpu = new CpuMeter(platform.pid);
  const latencies: number[] = [];
  const durations: number[] = [];
  for (let i = 0; i < invokes; i += 1) {
    const started = performance.now();
    const activation = await ow.actions.invoke({ name: NOOP_ACTION, blocking: true });
    latencies.push(performance.now() - started);
    if (typeof activation.duration === 'number') durations.push(activation.duration);
  }
  // The records are written behind: their CouchDB writes belong to this phase too.
  const cpuNote = await untilDrained(platform, Date.now() + timeoutMs);
  return {
    invokes,
    untimedWarmUpInvokes: Math.max(5, warmUp),
    clientLatencyMs: rounded(summarize(latencies)),
    activationDurationMs: rounded(summarize(durations)),
    cpuMsPerActivation: rounded(cpu.perActivation(invokes)),
    cpuNote,
  };
}

/**
 * The same warm invoke over a bare keep-alive `http.request`, to tell the client library's share of
 * the latency from the platform's.
 */
async function warmBlockingRawHttp(platform: ChildPlatform, invokes: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${platform.apihost}/api/v1/namespaces/${platform.namespace}/actions/${NOOP_ACTION}?blocking=true`);
  const authorization = `Basic ${Buffer.from(platform.auth).toString('base64')}`;
  const invoke = () => new Promise<void>((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { authorization, 'content-type': 'application/json' } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`blocking invoke answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end('{}');
  });
  try {
    for (let i = 0; i < 5; i += 1) await invoke();
    const latencies: number[] = [];
    for (let i = 0; i < invokes; i += 1) {
      const started = performance.now();
      await invoke();
      latencies.push(performance.now() - started);
    }
    return { invokes, latencyMs: rounded(summarize(latencies)) };
  } finally {
    agent.destroy();
  }
}

interface LevelResult {
  concurrency: number;
  /** concurrency × invokes per caller */
  expected: number;
  submitted: number;
  completed: number;
  allCompleted: boolean;
  throttledRetries: number;
  failedSubmissions: number;
  acceptLatencyMs: Summary;
  /** From the first submission to the end of the last activation. */
  wallMs: number;
  activationsPerSecond: number;
  warmUpActivations: number;
  cpuMsPerActivation: CpuUse & { platformMs: number };
  cpuNote: string;
}

async function nonBlockingLevel(ow: Client, platform: ChildPlatform, concurrency: number, minTotal: number, timeoutMs: number): Promise<LevelResult> {
  const perCaller = Math.max(1, Math.ceil(minTotal / concurrency));
  // Untimed warm-up so that the level measures warm throughput, not the pool growing.
  const warmUp = Math.min(concurrency, WARM_UP_CAP);
  const warmUpIds = await Promise.all(Array.from({ length: warmUp }, async () => (await ow.actions.invoke({ name: NOOP_ACTION, blocking: false })).activationId));
  await waitForActivations(ow, warmUpIds, Date.now() + timeoutMs);
  const ids: string[] = [];
  const acceptLatencies: number[] = [];
  let throttledRetries = 0;
  let failedSubmissions = 0;
  const cpu = new CpuMeter(platform.pid);
  const startedEpoch = Date.now();

  const caller = async () => {
    for (let k = 0; k < perCaller; k += 1) {
      for (;;) {
        const started = performance.now();
        try {
          const { activationId } = await ow.actions.invoke({ name: NOOP_ACTION, blocking: false });
          acceptLatencies.push(performance.now() - started);
          ids.push(activationId);
          break;
        } catch (thrown: unknown) {
          if (statusCodeOf(thrown) !== 429) {
            failedSubmissions += 1;
            break;
          }
          throttledRetries += 1;
          await sleep(100);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));

  // Wait for the runtime to drain before reading CPU, so that polling for records is not charged.
  const deadline = Date.now() + timeoutMs;
  const cpuNote = await untilDrained(platform, deadline);
  const used = cpu.perActivation(ids.length);

  const records = await waitForActivations(ow, ids, deadline);
  const lastEnd = records.reduce((latest, record) => Math.max(latest, record.end), startedEpoch);
  const wallMs = lastEnd - startedEpoch;
  return {
    concurrency,
    expected: concurrency * perCaller,
    submitted: ids.length,
    completed: records.length,
    allCompleted: failedSubmissions === 0 && records.length === concurrency * perCaller,
    throttledRetries,
    failedSubmissions,
    acceptLatencyMs: rounded(summarize(acceptLatencies)),
    wallMs,
    activationsPerSecond: wallMs > 0 ? (records.length * 1000) / wallMs : Number.NaN,
    warmUpActivations: warmUp,
    cpuMsPerActivation: rounded(used),
    cpuNote,
  };
}

/**
 * Polls `GET activations/{id}` until every record exists (an action's with its `end`; a trigger's has
 * none, as the controller serves it, and is recorded complete) or the deadline passes.
 */
async function waitForActivations(ow: Client, ids: readonly string[], deadline: number): Promise<ActivationRecord[]> {
  const pending = new Set(ids);
  const found: ActivationRecord[] = [];
  while (pending.size > 0) {
    const batch = [...pending];
    for (let i = 0; i < batch.length; i += 50) {
      await Promise.all(batch.slice(i, i + 50).map(async (id) => {
        try {
          const record = await ow.activations.get({ name: id });
          if (record.end === undefined || record.end > 0) {
            pending.delete(id);
            found.push(record);
          }
        } catch (thrown: unknown) {
          if (statusCodeOf(thrown) !== 404) throw thrown;
        }
      }));
    }
    if (pending.size === 0 || Date.now() > deadline) break;
    await sleep(100);
  }
  return found;
}

async function triggerToActionStart(ow: Client, fires: number, timeoutMs: number) {
  await ow.triggers.create({ name: TRIGGER, overwrite: true });
  await ow.rules.create({ name: RULE, trigger: TRIGGER, action: NOOP_ACTION, overwrite: true });
  const latencies: number[] = [];
  const fireRequestMs: number[] = [];
  try {
    for (let i = 0; i < fires; i += 1) {
      const firedAt = Date.now();
      const started = performance.now();
      const { activationId } = await ow.triggers.invoke({ name: TRIGGER, params: { i } });
      fireRequestMs.push(performance.now() - started);
      const deadline = Date.now() + timeoutMs;
      const [triggerRecord] = await waitForActivations(ow, [activationId], deadline);
      const ruleLog = JSON.parse(String(triggerRecord?.logs?.[0] ?? '{}')) as { activationId?: string };
      if (!ruleLog.activationId) throw new Error(`trigger activation ${activationId} names no action activation: ${JSON.stringify(triggerRecord?.logs)}`);
      const [actionRecord] = await waitForActivations(ow, [ruleLog.activationId], deadline);
      if (!actionRecord) throw new Error(`action activation ${ruleLog.activationId} did not complete in time`);
      latencies.push(actionRecord.start - firedAt);
    }
  } finally {
    await ow.rules.delete({ name: RULE }).catch(() => undefined);
    await ow.triggers.delete({ name: TRIGGER }).catch(() => undefined);
  }
  return {
    fires,
    fireToActionStartMs: rounded(summarize(latencies)),
    fireRequestMs: rounded(summarize(fireRequestMs)),
    resolutionNote: 'fire-to-start compares the client clock with the activation `start` (epoch ms, same host): 1 ms resolution',
  };
}

async function containerMemory(platform: ChildPlatform) {
  const stats = await platform.stats().catch(() => undefined);
  const byContainer = Object.values(stats?.memoryByContainer ?? {});
  const processes = descendants(platform.pid).map((pid) => ({ pid, rssBytes: rssBytes(pid) ?? 0, command: commandLine(pid).slice(0, 160) }));
  return {
    runtimeStats: stats ?? null,
    perContainerRssBytes: rounded(summarize(byContainer), 0),
    platformProcessRssBytes: rssBytes(platform.pid) ?? null,
    childProcesses: processes,
  };
}

// ---- main -----------------------------------------------------------------------------------

async function run(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  // The embedded CouchDB (a child of the platform) writes its own profile next to the platform's.
  if (options.cpuProfileDir) process.env.WHISKFLOW_COUCH_CPU_PROFILE_DIR = options.cpuProfileDir;
  const results: Record<string, unknown> = {};
  const notes: string[] = [];
  const platform = await startChildPlatform(options.platformEntry, {
    platformOptions: {
      runtime: {
        ...(options.maxContainers ? { maxContainers: options.maxContainers } : {}),
        ...(options.userMemoryMb ? { userMemoryMb: options.userMemoryMb } : {}),
      },
    },
    ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
  });
  console.log(`platform pid ${platform.pid} at ${platform.apihost} (namespace ${platform.namespace})`);
  // Keep-alive, as any long-lived client would; enough sockets for the largest concurrency level.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(...options.concurrency, 64) + 16 });
  const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace, agent });

  const phase = phaseRunner(results, notes);

  try {
    await phase('httpBaseline', () => measureHttpBaseline(options.warmInvokes));
    await ow.actions.create({ name: NOOP_ACTION, action: NOOP_CODE, kind: 'nodejs:20', overwrite: true });
    await phase('warmBlocking', () => warmBlocking(ow, platform, options.warmInvokes, options.warmUpInvokes, options.completionTimeoutMs));
    await phase('warmBlockingRawHttp', () => warmBlockingRawHttp(platform, options.warmInvokes));
    await phase('memory', () => containerMemory(platform));
    await phase('coldStart', () => coldStartsOf(ow, 'nodejs', options.coldStarts));
    const levels: LevelResult[] = [];
    await phase('nonBlockingThroughput', async () => {
      for (const concurrency of options.concurrency) {
        levels.push(await nonBlockingLevel(ow, platform, concurrency, options.minActivationsPerLevel, options.completionTimeoutMs));
      }
      return levels.map((level) => rounded(level));
    });
    await phase('triggerFireToActionStart', () => triggerToActionStart(ow, options.fires, options.completionTimeoutMs));
    await phase('memoryAfterLoad', () => containerMemory(platform));
    if (options.runtimes.length) await phase('runtimes', () => benchRuntimes(ow, platform, options.runtimes, options.runtimeWarmInvokes, options.runtimeColdStarts));
  } finally {
    agent.destroy();
    await platform.stop();
  }

  const report: BenchReport = {
    benchmark: 'platform',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results,
    targets: verdicts(results),
    notes: [
      'latencies are client-side (openwhisk npm client over a keep-alive agent), including HTTP and JSON',
      'platform CPU = utime+stime of the platform process from /proc; container CPU = its live and reaped children',
      `load average (1, 5, 15 min) at the end: ${os.loadavg().map((load) => load.toFixed(2)).join(', ')}; compare with httpBaseline`,
      ...notes,
    ],
  };
  const path = writeReport(options.out, report);
  printSummary(report);
  console.log(`wrote ${path}`);
}

function verdicts(results: Record<string, unknown>): TargetVerdict[] {
  const warm = results.warmBlocking as Awaited<ReturnType<typeof warmBlocking>> | undefined;
  const levels = (results.nonBlockingThroughput as LevelResult[] | undefined) ?? [];
  const thousand = Array.isArray(levels) ? levels.find((level) => level.concurrency === 1000) : undefined;
  const warmP50 = warm?.clientLatencyMs?.p50;
  const cpu = warm?.cpuMsPerActivation?.platformMs;
  const thousandCpu = thousand?.cpuMsPerActivation?.platformMs;
  return [
    target('warm no-op blocking invoke p50', '< 5 ms', warmP50 ?? null, typeof warmP50 === 'number' && warmP50 < 5),
    target('1000 concurrent non-blocking invokes all complete', 'completed = submitted',
      thousand ? `${thousand.completed}/${thousand.expected}` : 'not run',
      thousand?.allCompleted === true),
    target('platform CPU per activation (controller + CouchDB, 1000 concurrent non-blocking)', '< 2 ms', thousandCpu ?? 'not run',
      typeof thousandCpu === 'number' && thousandCpu < 2),
    target('platform CPU per activation (controller + CouchDB, warm blocking)', '< 2 ms', cpu ?? null, typeof cpu === 'number' && cpu < 2),
    ...runtimeTargets(results.runtimes as RuntimeBench[] | undefined),
  ];
}

function printSummary(report: BenchReport): void {
  const r = report.results as Record<string, Record<string, unknown> | undefined>;
  const baseline = r.httpBaseline as Partial<HttpBaseline> | undefined;
  if (baseline?.roundTripMs) {
    console.log(`baseline (trivial server in another process): bare http.request p50 ${baseline.roundTripMs.p50} ms, `
      + `openwhisk client p50 ${baseline.openwhiskClientRoundTripMs?.p50} ms, server CPU ${baseline.serverCpuMsPerRequest} ms/request; `
      + `load average ${os.loadavg()[0]?.toFixed(1)}`);
  }
  const warm = r.warmBlocking as Partial<Awaited<ReturnType<typeof warmBlocking>>> | undefined;
  if (warm?.clientLatencyMs && warm.cpuMsPerActivation) {
    console.log(`warm blocking no-op: p50 ${warm.clientLatencyMs.p50} ms, p99 ${warm.clientLatencyMs.p99} ms; CPU/act: `
      + `controller ${warm.cpuMsPerActivation.controllerMs} ms, CouchDB ${warm.cpuMsPerActivation.couchMs} ms, container ${warm.cpuMsPerActivation.containersMs} ms`);
  }
  const raw = r.warmBlockingRawHttp as { latencyMs?: Summary } | undefined;
  if (raw?.latencyMs) console.log(`warm blocking no-op over bare http.request: p50 ${raw.latencyMs.p50} ms, p99 ${raw.latencyMs.p99} ms`);
  const cold = r.coldStart as { clientLatencyMs?: Summary } | undefined;
  if (cold?.clientLatencyMs) console.log(`cold start: p50 ${cold.clientLatencyMs.p50} ms, max ${cold.clientLatencyMs.max} ms`);
  const levels = r.nonBlockingThroughput as unknown as LevelResult[] | undefined;
  if (Array.isArray(levels)) {
    for (const level of levels) {
      console.log(`non-blocking x${level.concurrency}: ${level.completed}/${level.submitted} done, ${level.activationsPerSecond} act/s, `
        + `CPU/act: controller ${level.cpuMsPerActivation.controllerMs} ms, CouchDB ${level.cpuMsPerActivation.couchMs} ms, `
        + `containers ${level.cpuMsPerActivation.containersMs} ms`);
    }
  }
  const fire = r.triggerFireToActionStart as { fireToActionStartMs?: Summary } | undefined;
  if (fire?.fireToActionStartMs) console.log(`fire → action start: p50 ${fire.fireToActionStartMs.p50} ms, p99 ${fire.fireToActionStartMs.p99} ms`);
  const memory = r.memoryAfterLoad as { perContainerRssBytes?: Summary } | undefined;
  if (memory?.perContainerRssBytes) console.log(`warm container RSS: p50 ${(memory.perContainerRssBytes.p50 / 1048576).toFixed(1)} MB (n=${memory.perContainerRssBytes.n})`);
  for (const runtime of (r.runtimes as unknown as RuntimeBench[] | undefined) ?? []) console.log(describeRuntime(runtime));
  for (const note of report.notes.slice(3)) console.log(`note: ${note}`);
  console.log('targets:');
  printTargets(report.targets);
}

function statusCodeOf(thrown: unknown): number | undefined {
  const code = (thrown as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

const program = new Command('bench-platform')
  .description('Benchmark the local OpenWhisk-compatible platform with the official openwhisk client')
  .option('--warm-invokes <n>', 'sequential warm blocking invokes', nonNegativeInteger, 300)
  .option('--warm-up-invokes <n>', 'untimed blocking invokes before them (V8 compiles the invoke path meanwhile)', nonNegativeInteger, 500)
  .option('--cold-starts <n>', 'cold starts (a new action each)', nonNegativeInteger, 5)
  .option('--concurrency <list>', 'concurrent non-blocking callers per level', numberList(positiveInteger), [1, 10, 100, 1000])
  .option('--min-activations-per-level <n>', 'activations per concurrency level, at least one per caller', nonNegativeInteger, 200)
  .option('--fires <n>', 'trigger fires for fire → action start latency', nonNegativeInteger, 20)
  .option('--completion-timeout-ms <ms>', 'how long to wait for activations of one phase', nonNegativeInteger, 120_000)
  .option('--max-containers <n>', "a cap on the runtime's containers (none when absent)", positiveInteger)
  .option('--user-memory-mb <n>', "the runtime's memory budget for containers (the platform's default when absent)", positiveInteger)
  .option('--cpu-profile-dir <dir>', 'write V8 CPU profiles of the platform and its embedded CouchDB there (skews their timings)')
  .option('--runtimes <list>', 'languages compared (cold, warm, CPU, memory); empty: none', (value: string) => value.split(',').filter(Boolean) as BenchLanguage[], ['nodejs', 'python', 'java', 'go'])
  .option('--runtime-warm-invokes <n>', 'warm blocking invokes per language', nonNegativeInteger, 200)
  .option('--runtime-cold-starts <n>', 'cold starts per language', nonNegativeInteger, 3)
  .option('--out <file>', 'JSON report path', 'bench-results/platform.json')
  .option('--platform-entry <file>', 'script that runs the platform in a child process', join(__dirname, 'platform-server.js'))
  .action(async (options: Options) => run(options));

program.parseAsync(process.argv).catch((thrown: unknown) => {
  console.error('bench failed:', thrown instanceof Error ? thrown.message : thrown);
  process.exitCode = 1;
});
