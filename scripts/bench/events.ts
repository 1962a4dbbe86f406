/**
 * Event stages at scale under the streaming model: a batch of runs, each waiting on its own event
 * (correlation key per run), and their events produced to the engine's events topic in random
 * order, some duplicated (same CloudEvent id twice), some before their run has started. Checks
 * that every run resumed exactly once with its own event (one run.finished each, its event's data
 * as output, no event left pending) and fails loudly otherwise; reports the event-to-resume
 * latency (from the later of the event's production and the run's start, to the run's end seen
 * by the Rule Engine) p50/p99. Writes bench-results/events.json.
 *
 * Streaming model: both engines and the Event Receiver in this process on a private Redis (or
 * REDIS_URL), the run store in memory (the workflow is one event stage: nothing is invoked).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { parseWorkflow } from '../../lib/model/parse';
import type { JsonObject } from '../../lib/model/json';
import { DEFAULT_TOPICS, startStreamingEngines, startStreamRun, WorkflowCatalog, type StreamTaskInvoker } from '../../lib/runtimes/streaming';
import { createEventStream } from '../../lib/runtimes/streaming/brokers';
import { eventsOf } from '../../lib/store/event-mailbox';
import { MemoryRunStore } from '../../lib/store/memory';
import { freePort } from './lib/ports';
import { hostInfo, target, writeReport, type BenchReport } from './lib/report';
import { rounded, summarize } from './lib/stats';

const run = promisify(execFile);
const SERVICES = resolve(process.cwd(), 'scripts/services');

interface Options {
  runs: number;
  duplicates: number;
  early: number;
  seed: number;
  timeoutMs: number;
  out: string;
}

const WORKFLOW = parseWorkflow(`
name: bench-events
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }
`);

/** Nothing is invoked: the one stage is the wait. */
const NO_ACTIONS: StreamTaskInvoker = {
  invoke: async (action) => {
    throw new Error(`the events bench invokes no action (asked for ${action})`);
  },
  activation: async () => undefined,
};

/** A shuffled copy, the same for the same seed (mulberry32): a run of the bench can be replayed. */
function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'whiskflow-bench-events-'));
  await run('bash', [join(SERVICES, 'start-redis.sh'), String(port), dir], { timeout: 120_000 });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await run('bash', [join(SERVICES, 'stop-redis.sh'), dir], { timeout: 60_000 }).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function streamingOnRedis(options: Options): Promise<Record<string, unknown>> {
  const redis = await startRedis();
  const stream = createEventStream(redis.url, { partitions: 4 });
  const store = new MemoryRunStore();
  const tag = `bench-events-${Date.now().toString(36)}.`;
  const topics = { completions: `${tag}${DEFAULT_TOPICS.completions}`, orchestration: `${tag}${DEFAULT_TOPICS.orchestration}`, events: `${tag}${DEFAULT_TOPICS.events}` };
  const finished = new Map<string, { count: number; at: number; status: string; output: unknown }>();
  const engines = await startStreamingEngines({
    stream, store, topics, invoker: NO_ACTIONS, workflows: new WorkflowCatalog([WORKFLOW]), consumer: tag,
    onRunFinished: (event) => {
      const seen = finished.get(event.data.runId);
      finished.set(event.data.runId, { count: (seen?.count ?? 0) + 1, at: seen?.at ?? performance.now(), status: event.data.status, output: event.data.result ?? null });
    },
    condition: { timerResolutionMs: 50 },
    rule: { pollIntervalMs: 50 },
  });
  try {
    const orders = Array.from({ length: options.runs }, (_, index) => index);
    const shuffled = seededShuffle(orders, options.seed);
    const earlyCount = Math.round(options.runs * options.early);
    const duplicated = new Set(seededShuffle(orders, options.seed + 1).slice(0, Math.round(options.runs * options.duplicates)));
    const sentAt = new Map<number, number>();
    const startedAt = new Map<number, number>();
    const runIds = new Map<number, string>();
    const produce = async (index: number): Promise<void> => {
      const event: JsonObject = { specversion: '1.0', id: `pay-${index}`, type: 'payment.received', source: '/bench', workflow: WORKFLOW.name, key: `o-${index}`, data: { n: index } };
      sentAt.set(index, sentAt.get(index) ?? performance.now());
      await stream.produce(topics.events, `o-${index}`, duplicated.has(index) ? [event, event] : [event]);
    };
    const began = performance.now();
    // Some events before their run exists; then the runs; then the rest, in random order.
    for (const index of shuffled.slice(0, earlyCount)) await produce(index);
    await Promise.all(orders.map(async (index) => {
      startedAt.set(index, performance.now());
      runIds.set(index, await startStreamRun(stream, { workflow: WORKFLOW.name, input: { orderId: `o-${index}` }, topic: topics.completions }));
    }));
    for (const index of shuffled.slice(earlyCount)) await produce(index);
    const deadline = performance.now() + options.timeoutMs;
    while (finished.size < options.runs && performance.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    // Let any second resumption show itself before counting.
    await new Promise((done) => setTimeout(done, 2_000));
    const makespanMs = performance.now() - began;

    const problems: string[] = [];
    const latencies: number[] = [];
    for (const index of orders) {
      const runId = runIds.get(index) as string;
      const end = finished.get(runId);
      if (!end) problems.push(`run ${runId} (o-${index}) never resumed`);
      else if (end.count !== 1) problems.push(`run ${runId} (o-${index}) finished ${end.count} times`);
      else if (end.status !== 'succeeded' || JSON.stringify((end.output as JsonObject | null)?.payment) !== JSON.stringify({ n: index })) problems.push(`run ${runId} (o-${index}) ended ${end.status} with ${JSON.stringify(end.output)}`);
      else latencies.push(end.at - Math.max(sentAt.get(index) as number, startedAt.get(index) as number));
    }
    const pending = (await eventsOf(store, { workflow: WORKFLOW.name })).filter((event) => !event.consumedBy);
    if (pending.length > 0) problems.push(`${pending.length} events left pending, e.g. ${pending[0]?.eventId}`);
    if (problems.length > 0) throw new Error(`not every run resumed exactly once:\n  ${problems.slice(0, 20).join('\n  ')}`);
    latencies.sort((a, b) => a - b);
    return rounded({
      runs: options.runs, early: earlyCount, duplicated: duplicated.size, makespanMs,
      eventToResumeMs: summarize(latencies), receiver: engines.receiver.stats, rejected: engines.condition.stats.rejected,
    });
  } finally {
    await engines.stop();
    await stream.close();
    await redis.stop();
  }
}

async function main(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  console.log(`events bench: ${options.runs} runs, ${options.duplicates * 100}% duplicated, ${options.early * 100}% before their run (streaming, Redis)`);
  const streaming = await streamingOnRedis(options);
  console.log(JSON.stringify(streaming, null, 2));
  const latency = (streaming.eventToResumeMs as { p50: number; p99: number });
  const report: BenchReport = {
    benchmark: 'events',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results: { streamingRedis: streaming },
    targets: [target('every run resumed exactly once', 'all', 'all', true), target('event-to-resume p99 (streaming, Redis)', 'reported', latency.p99, true)],
    notes: [
      'Streaming model only: both engines and the Event Receiver in one process on a private Redis, the run store in memory; the workflow is one event stage (no action runs).',
      'Latency: from the later of the event\'s production and its run\'s start, to the run.finished the Rule Engine sees.',
      'The native model on the local platform is not measured by this script yet.',
    ],
  };
  console.log(`  wrote ${writeReport(options.out, report)}`);
}

const fraction = (value: string): number => {
  const parsed = Number(value);
  if (!(parsed >= 0 && parsed <= 1)) throw new Error(`expected a fraction between 0 and 1, got ${value}`);
  return parsed;
};
const positive = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`expected a positive integer, got ${value}`);
  return parsed;
};

const program = new Command('events')
  .description('1,000 runs each waiting on its own event; events in random order, some duplicated, some early: exactly-once check and event-to-resume latency')
  .option('--runs <n>', 'runs (one event each)', positive, 1000)
  .option('--duplicates <fraction>', 'share of events produced twice', fraction, 0.1)
  .option('--early <fraction>', 'share of events produced before the runs start', fraction, 0.2)
  .option('--seed <n>', 'shuffle seed', positive, 7)
  .option('--timeout-ms <ms>', 'give up waiting for the runs after this long', positive, 300_000)
  .option('--out <file>', 'JSON report path', 'bench-results/events.json');
program.parse();

main(program.opts<Options>()).catch((error: unknown) => {
  console.error(`events bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
