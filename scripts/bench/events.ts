/**
 * Event stages at scale: a batch of runs, each waiting on its own event (correlation key per run),
 * and their events sent in random order, some duplicated (same CloudEvent id twice), some before
 * their run has started. Checks that every run resumed exactly once with its own event (one end
 * each, its event's data as output, no event left pending) and fails loudly otherwise; reports the
 * event-to-resume latency (from the later of the event's sending and the run's start, to the run's
 * end) p50/p99 per model (`--models streaming,native`). Writes bench-results/events.json.
 *
 * - streaming: both engines and the Event Receiver in this process on a private Redis (or
 *   REDIS_URL), the run store in memory (the workflow is one event stage: nothing is invoked); the
 *   events are produced to the engine's events topic.
 * - native: the local platform in a child process with the whiskflow actions deployed; runs started
 *   and events fired into the workflow's trigger with the `openwhisk` client, as `wsk trigger fire`
 *   does (events/native.ts). Needs `npm run build` (dist/actions).
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
import { rounded } from './lib/stats';
import { choiceList } from './lib/option-lists';
import { judge, planBatch, type BatchOptions, type RunEnd } from './events/batch';
import { NATIVE_DEFAULTS, nativeOnLocalPlatform } from './events/native';

const run = promisify(execFile);
const SERVICES = resolve(process.cwd(), 'scripts/services');

const MODELS = ['streaming', 'native'] as const;
type Model = (typeof MODELS)[number];

interface Options extends BatchOptions {
  models: Model[];
  out: string;
  platformEntry: string;
  actionsDir: string;
  whiskflowConcurrency: number;
  fireConcurrency: number;
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
    const batch = planBatch(options);
    const sentAt = new Map<number, number>();
    const startedAt = new Map<number, number>();
    const runIds = new Map<number, string>();
    const produce = async (index: number): Promise<void> => {
      const event: JsonObject = { specversion: '1.0', id: `pay-${index}`, type: 'payment.received', source: '/bench', workflow: WORKFLOW.name, key: `o-${index}`, data: { n: index } };
      sentAt.set(index, sentAt.get(index) ?? performance.now());
      await stream.produce(topics.events, `o-${index}`, batch.duplicated.has(index) ? [event, event] : [event]);
    };
    const began = performance.now();
    // Some events before their run exists; then the runs; then the rest, in random order.
    for (const index of batch.early) await produce(index);
    await Promise.all(batch.orders.map(async (index) => {
      startedAt.set(index, performance.now());
      runIds.set(index, await startStreamRun(stream, { workflow: WORKFLOW.name, input: { orderId: `o-${index}` }, topic: topics.completions }));
    }));
    for (const index of batch.late) await produce(index);
    const deadline = performance.now() + options.timeoutMs;
    while (finished.size < options.runs && performance.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    // Let any second resumption show itself before counting.
    await new Promise((done) => setTimeout(done, 2_000));
    const makespanMs = performance.now() - began;

    const ends = new Map<number, RunEnd | undefined>(batch.orders.map((index) => {
      const runId = runIds.get(index) as string;
      const end = finished.get(runId);
      return [index, end && {
        runId, count: end.count, status: end.status, payment: (end.output as JsonObject | null)?.payment,
        latencyMs: end.at - Math.max(sentAt.get(index) as number, startedAt.get(index) as number),
      }];
    }));
    const pending = (await eventsOf(store, { workflow: WORKFLOW.name })).filter((event) => !event.consumedBy).map((event) => event.eventId);
    const verdict = judge(batch, ends, runIds, pending);
    return rounded({
      runs: options.runs, early: batch.early.length, duplicated: batch.duplicated.size, makespanMs,
      eventToResumeMs: verdict.eventToResumeMs, receiver: engines.receiver.stats, rejected: engines.condition.stats.rejected,
    });
  } finally {
    await engines.stop();
    await stream.close();
    await redis.stop();
  }
}

async function main(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  console.log(`events bench: ${options.runs} runs, ${options.duplicates * 100}% duplicated, ${options.early * 100}% before their run (${options.models.join(', ')})`);
  const results: Record<string, unknown> = {};
  const targets = [target('every run resumed exactly once', 'all', 'all', true)];
  const notes = ['Latency: from the later of the event\'s sending and its run\'s start, to the run\'s end. A run that did not resume exactly once with its own event fails the bench (no report is written).'];
  if (options.models.includes('streaming')) {
    const streaming = await streamingOnRedis(options);
    console.log(JSON.stringify(streaming, null, 2));
    results.streamingRedis = streaming;
    targets.push(target('event-to-resume p99 (streaming, Redis)', 'reported', (streaming.eventToResumeMs as { p99: number }).p99, true));
    notes.push('streamingRedis: both engines and the Event Receiver in one process on a private Redis, the run store in memory; the workflow is one event stage (no action runs); the end is the run.finished the Rule Engine sees.');
  }
  if (options.models.includes('native')) {
    const native = await nativeOnLocalPlatform(WORKFLOW, options);
    console.log(JSON.stringify({ ...native, platform: undefined }, null, 2));
    results.native = native;
    targets.push(target('event-to-resume p99 (native, local platform)', 'reported', (native.eventToResumeMs as { p99: number }).p99, true));
    notes.push(`native: the local platform in a child process (embedded CouchDB), whiskflow actions at limits.concurrency ${options.whiskflowConcurrency}; runs started and events fired into the workflow's trigger with the openwhisk client (${options.fireConcurrency} fires in flight), the rule's whiskflow/orchestrator keeps and matches them; the end is the run head's endedAt, written by the orchestrator activation that resumed it.`);
  }
  const report: BenchReport = {
    benchmark: 'events',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results,
    targets,
    notes,
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
  .option('--duplicates <fraction>', 'share of events sent twice', fraction, 0.1)
  .option('--early <fraction>', 'share of events sent before the runs start', fraction, 0.2)
  .option('--seed <n>', 'shuffle seed', positive, 7)
  .option('--timeout-ms <ms>', 'give up waiting for the runs after this long', positive, 300_000)
  .option('--models <list>', `comma-separated: ${MODELS.join(', ')}`, choiceList(MODELS), [...MODELS])
  .option('--whiskflow-concurrency <n>', 'native: limits.concurrency of the whiskflow actions', positive, 32)
  .option('--fire-concurrency <n>', 'native: trigger fires in flight at once', positive, 16)
  .option('--platform-entry <file>', 'native: script that runs the platform in a child process', NATIVE_DEFAULTS.platformEntry)
  .option('--actions-dir <dir>', 'native: webpack bundles of the whiskflow actions', NATIVE_DEFAULTS.actionsDir)
  .option('--out <file>', 'JSON report path', 'bench-results/events.json');
program.parse();

main(program.opts<Options>()).catch((error: unknown) => {
  console.error(`events bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
