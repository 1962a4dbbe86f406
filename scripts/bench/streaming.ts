/**
 * Throughput of ONE Condition Engine process per backend (in-memory, Redis Streams, Kafka): how many
 * completion events per second it consumes, applies to run contexts (pure transition, dedupe,
 * checkpoint) and turns into orchestration events.
 *
 *   npx tsc -p tsconfig.build.json && node dist/scripts/bench/streaming.js [--help]
 *
 * Workload: `runs` runs of a one-stage map workflow with `elements` tasks each. Every run's
 * `run.started` and its `elements` completions are produced BEFORE the engine starts (a backlog), so
 * the measurement is the engine draining it: from subscribing until every run is finished. Run state
 * goes to the in-memory run store, so the numbers are the engine plus the broker, not CouchDB.
 * Redis and Kafka are started on free ports with scripts/services/*.sh unless REDIS_URL /
 * KAFKA_BROKERS name running ones. Writes bench-results/streaming.json; targets are reported, never asserted.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError } from 'commander';
import { ConditionEngine, WorkflowCatalog } from '../../lib/engine/streaming';
import type { EventStream, StreamRecord } from '../../lib/engine/streaming/brokers';
import { createEventStream } from '../../lib/engine/streaming/stream-connection';
import { runStarted, taskCompleted } from '../../lib/events/build';
import { toStructuredJson } from '../../lib/events/cloudevent';
import { parseWorkflow } from '../../lib/model/parse';
import { docIds, type RunDoc } from '../../lib/store/run-documents';
import { MemoryRunStore } from '../../lib/store/memory';
import { hostInfo, printTargets, target, writeReport, type BenchReport, type TargetVerdict } from './lib/report';

const run = promisify(execFile);
/** Run from the repository root (as `npm run` does), where the service scripts are. */
const SERVICES = resolve(process.cwd(), 'scripts/services');

type Backend = 'memory' | 'redis' | 'kafka';

interface Options {
  backends: Backend[];
  runs: number;
  elements: number;
  partitions: number;
  out: string;
}

interface BackendResult {
  backend: Backend;
  events: number;
  runs: number;
  produceMs: number;
  /** From subscribing until every run finished (joining the consumer group included). */
  drainMs: number;
  /** Until `start()` resolved: joining the group (Kafka: a rebalance round). */
  subscribeMs: number;
  /** events / drainMs */
  eventsPerSecond: number;
  /** events / (drainMs - subscribeMs): the engine's rate once consuming. */
  eventsPerSecondConsuming: number;
  outputs: number;
  batches: number;
  meanBatchSize: number;
}

const workflow = parseWorkflow(`
name: bench-map
stages:
  - id: work
    kind: map
    items: $.items
    action: work
`);

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = new Date().toISOString();
  const results: BackendResult[] = [];
  const notes: string[] = [
    'One Condition Engine in this process drains a backlog produced before it starts; no Rule Engine, no OpenWhisk.',
    'Run contexts are checkpointed to the in-memory run store (CouchDB would add a round trip per run per batch).',
  ];
  for (const backend of options.backends) {
    const service = await startService(backend);
    try {
      const result = await measure(backend, service.url, options);
      results.push(result);
      console.log(`${backend}: ${result.events} events in ${result.drainMs.toFixed(0)} ms = ${result.eventsPerSecond.toFixed(0)} events/s`
        + ` (${result.eventsPerSecondConsuming.toFixed(0)} events/s after the ${result.subscribeMs.toFixed(0)} ms group join; mean batch ${result.meanBatchSize.toFixed(1)})`);
    } catch (error) {
      notes.push(`${backend}: not measured: ${(error as Error).message}`);
      console.error(`${backend}: not measured: ${(error as Error).message}`);
    } finally {
      await service.stop();
    }
  }
  const targets: TargetVerdict[] = results.map((result) =>
    target(`condition engine throughput (${result.backend})`, '>= 1000 events/s', result.eventsPerSecond, result.eventsPerSecond >= 1000));
  const report: BenchReport = {
    benchmark: 'streaming',
    startedAt,
    finishedAt: new Date().toISOString(),
    host: hostInfo(),
    options: { ...options },
    results: Object.fromEntries(results.map((result) => [result.backend, result])),
    targets,
    notes,
  };
  console.log(`wrote ${writeReport(options.out, report)}`);
  printTargets(targets);
}

async function measure(backend: Backend, url: string, options: Options): Promise<BackendResult> {
  const suffix = `${Date.now().toString(36)}`;
  const topics = { completions: `bench-completions-${suffix}`, orchestration: `bench-orchestration-${suffix}` };
  const stream: EventStream = createEventStream(url, { partitions: options.partitions });
  const store = new MemoryRunStore();
  try {
    const producedAt = performance.now();
    const records: StreamRecord[] = [];
    const time = new Date().toISOString();
    const items = Array.from({ length: options.elements }, (_, index) => index);
    for (let r = 0; r < options.runs; r++) {
      const runId = `bench-${suffix}-${r}`;
      records.push({ key: runId, event: toStructuredJson(runStarted({ runId, workflow: workflow.name, input: { items }, time })) });
      for (let index = 0; index < options.elements; index++) {
        records.push({ key: runId, event: toStructuredJson(taskCompleted({ runId, taskKey: `work:1:${index}:1`, result: { index }, time })) });
      }
    }
    for (let start = 0; start < records.length; start += 1000) await stream.produceBatch(topics.completions, records.slice(start, start + 1000));
    const produceMs = performance.now() - producedAt;

    const engine = new ConditionEngine({ stream, store, workflows: new WorkflowCatalog([workflow]), topics, consumer: `bench-${backend}` });
    const drainStart = performance.now();
    await engine.start();
    const subscribeMs = performance.now() - drainStart;
    // Runs finish in partition order, not run order: wait for all the events, then for every head.
    while (engine.stats.events < records.length) await new Promise((done) => setTimeout(done, 5));
    for (let r = 0; r < options.runs; r++) {
      while ((await store.get<RunDoc>(docIds.run(`bench-${suffix}-${r}`)))?.status !== 'succeeded') await new Promise((done) => setTimeout(done, 5));
    }
    const drainMs = performance.now() - drainStart;
    await engine.stop();
    return {
      backend,
      events: records.length,
      runs: options.runs,
      produceMs,
      drainMs,
      subscribeMs,
      eventsPerSecond: records.length / (drainMs / 1000),
      eventsPerSecondConsuming: records.length / (Math.max(1, drainMs - subscribeMs) / 1000),
      outputs: engine.stats.outputs,
      batches: engine.stats.batches,
      meanBatchSize: engine.stats.events / Math.max(1, engine.stats.batches),
    };
  } finally {
    await stream.close();
  }
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

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

function parseOptions(): Options {
  const positive = (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
    return parsed;
  };
  const backends = (value: string): Backend[] => {
    const list = value.split(',').map((item) => item.trim());
    for (const item of list) if (!['memory', 'redis', 'kafka'].includes(item)) throw new InvalidArgumentError('expected memory, redis and/or kafka');
    return list as Backend[];
  };
  const program = new Command('bench-streaming')
    .option('--backends <list>', 'comma-separated: memory,redis,kafka', backends, ['memory', 'redis', 'kafka'] as Backend[])
    .option('--runs <n>', 'runs in the backlog', positive, 200)
    .option('--elements <n>', 'map elements (completion events) per run', positive, 50)
    .option('--partitions <n>', 'partitions of the completion topic', positive, 8)
    .option('--out <file>', 'report file', 'bench-results/streaming.json')
    .parse(process.argv);
  return program.opts<Options>();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
