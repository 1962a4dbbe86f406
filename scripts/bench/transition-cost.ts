/**
 * What one native sequence transition costs inside the task conductor's run, without the platform:
 * the conductor's own work (authenticate the completion, `handleEvent` through the chaining invoker,
 * which claims the next task for the composition) in-process, first over the in-memory store (the
 * code alone), then over the embedded CouchDB through the store stack the conductor uses (group
 * commit over the store's HTTP client), and the store's one round trip alone (`createMany` of the
 * three documents a transition writes). The difference between the first two is what the store costs a transition;
 * `native.js` measures the same transition on the platform (its "composition steps"). Beside them,
 * the floor any durable write over HTTP pays on this machine: back-to-back requests with a kept-alive
 * connection to an echo server in this process, to one in a child process (as the embedded CouchDB
 * is), and the embedded CouchDB's `GET /`.
 *
 *   npm run build && node dist/scripts/bench/transition-cost.js [--size 40] [--runs 100] [--out <file>]
 *
 * Writes JSON (default bench-results/transition-cost.json). Reports, never asserts.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { positiveInteger } from '../../lib/cli/options';
import { parseWorkflow } from '../../lib/model/parse';
import { handleEvent } from '../../lib/runtimes/native/orchestrator';
import { ChainingInvoker } from '../../lib/runtimes/native/composition';
import { taskOutcomeOf } from '../../lib/runtimes/native/events';
import { authenticate } from '../../lib/runtimes/native/event-auth';
import { withAttemptToken, type TaskInvoker, type TaskStart } from '../../lib/runtimes/native/invoker';
import { newEventKey } from '../../lib/events/event-seal';
import { MemoryRunStore } from '../../lib/store/memory';
import { CouchDbRunStore } from '../../lib/store/couchdb';
import { GroupCommitStore } from '../../lib/store/group-commit';
import { startEmbeddedCouch } from '../../lib/store/embedded-couch';
import { docIds } from '../../lib/store/run-documents';
import type { RunStore } from '../../lib/store/run-store';
import { hostInfo, writeReport } from './lib/report';
import { rounded, summarize } from './lib/stats';

interface Options { size: number; runs: number; warmup: number; out: string }

/** Records the starts an orchestrator makes instead of invoking anything. */
class RecordingStarts implements TaskInvoker {
  started: TaskStart[] = [];
  async start(task: TaskStart): Promise<string> {
    this.started.push(task);
    return `activation-${this.started.length}`;
  }
  async scheduleTimeout(): Promise<string> {
    return 'timer';
  }
}

/**
 * Runs `runs` sequences of `size` no-op tasks through the conductor's code and returns ms per
 * transition, one value per run. Each completion is applied as the completing conductor run
 * applies it (conductor-completion.ts): built from the attempt's context, authenticated with the
 * deployment's key, handled with a chaining invoker that continues with the next task.
 */
async function sequenceRuns(store: RunStore, workflowName: string, size: number, runs: number, label: string): Promise<number[]> {
  const eventKey = newEventKey();
  const perTransition: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const runId = `${label}-${run}-${Date.now().toString(36)}`;
    const starts = new RecordingStarts();
    await handleEvent({ store, invoker: starts, namespace: 'guest', activationId: `orchestrator-${runId}` }, { type: 'run.started', eventId: runId, runId, workflow: workflowName, input: {} } as never);
    let task = starts.started[0];
    if (!task) throw new Error(`run ${runId} started no task`);
    let context = withAttemptToken(task.context, eventKey);
    const began = performance.now();
    for (let step = 0; step < size; step += 1) {
      const activationId = `conductor-${runId}-${step}`;
      const chaining = new ChainingInvoker(starts, activationId, 1, eventKey);
      const event = taskOutcomeOf(context, { result: { step } }, activationId);
      const verdict = authenticate(event, { workflow: workflowName, eventKey });
      if (!verdict.accepted) throw new Error(`completion refused: ${verdict.reason}`);
      const outcome = await handleEvent({ store, invoker: chaining, namespace: 'guest', activationId }, event);
      if (step < size - 1) {
        const next = chaining.continuation;
        if (!next) throw new Error(`step ${step} of run ${runId} did not continue (${JSON.stringify(outcome)})`);
        context = next.context;
      }
    }
    perTransition.push((performance.now() - began) / size);
  }
  return perTransition;
}

async function deploySequence(store: RunStore, size: number): Promise<string> {
  const workflow = parseWorkflow(`name: bench-cost-${size}\nstages:\n${Array.from({ length: size }, (_, i) => `  - { id: s${i}, kind: task, action: noop }\n`).join('')}`);
  await store.upsert(docIds.workflow(workflow.name), { type: 'workflow', name: workflow.name, definition: workflow, trigger: `whiskflow-${workflow.name}`, selfReporting: [], deployedAt: 0 });
  return workflow.name;
}

async function measure(store: RunStore, options: Options, label: string) {
  const name = await deploySequence(store, options.size);
  await sequenceRuns(store, name, options.size, options.warmup, `${label}-warm`);
  return rounded(summarize(await sequenceRuns(store, name, options.size, options.runs, label)));
}

/** ms of each of `count` back-to-back requests over one kept-alive connection (`warmup` more first, untimed). */
async function roundTrips(url: string, method: 'GET' | 'POST', count: number, warmup: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(url);
  const headers: IncomingHttpHeaders = { 'content-type': 'application/json' };
  if (target.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64')}`;
  const body = method === 'POST' ? JSON.stringify({ docs: [{ _id: 'x', type: 'result' }] }) : undefined;
  const once1 = () => new Promise<void>((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode !== undefined && res.statusCode < 400 ? resolve() : reject(new Error(`${method} ${target.pathname}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + count; i += 1) {
      const began = performance.now();
      await once1();
      if (i >= warmup) times.push(performance.now() - began);
    }
  } finally {
    agent.destroy();
  }
  return times;
}

const ECHO = "require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('{\"ok\":true}')); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });";

/** The HTTP round trip's floor on this machine: an echo in this process and in a child process. */
async function httpFloor(runs: number) {
  const inProcess = createServer((req, res) => { req.resume(); req.on('end', () => res.end('{"ok":true}')); });
  inProcess.listen(0, '127.0.0.1');
  await once(inProcess, 'listening');
  const child = spawn(process.execPath, ['-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const inProcessMs = await roundTrips(`http://127.0.0.1:${(inProcess.address() as AddressInfo).port}/`, 'POST', runs, runs);
    const [line] = await once(child.stdout, 'data') as [Buffer];
    const childMs = await roundTrips(`http://127.0.0.1:${String(line).trim()}/`, 'POST', runs, runs);
    return { echoInProcessMs: rounded(summarize(inProcessMs)), echoChildProcessMs: rounded(summarize(childMs)) };
  } finally {
    child.kill();
    inProcess.close();
  }
}

async function main(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const memory = await measure(new GroupCommitStore(new MemoryRunStore()), options, 'memory');
  console.log(`in-process, memory store: ${memory.p50} ms per transition (p50 of ${options.runs} runs of ${options.size})`);
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-transition-cost-'));
  const couch = await startEmbeddedCouch({ dataDir, port: 0 });
  try {
    const plain = new CouchDbRunStore({ url: couch.url, dbname: 'whiskflow' });
    await plain.ensureReady();
    const couchdb = await measure(new GroupCommitStore(plain), options, 'couch');
    console.log(`in-process, embedded CouchDB (group commit over the store's HTTP client): ${couchdb.p50} ms per transition`);
    // The transition's one request alone: result, next transition, next claim.
    const requestMs: number[] = [];
    for (let i = 0; i < options.runs * 2; i += 1) {
      const began = performance.now();
      await plain.createMany!([
        { id: `result/rt/${i}/0/0`, body: { type: 'result', result: {} } },
        { id: `stage/rt/${i + 1}`, body: { type: 'stage', position: i + 1 } },
        { id: `invoke/rt/${i + 1}/0/1`, body: { type: 'invoke', activationId: 'a' } },
      ]);
      requestMs.push(performance.now() - began);
    }
    const bulk = rounded(summarize(requestMs.slice(options.runs)));
    console.log(`one _bulk_docs of three new documents: ${bulk.p50} ms`);
    const floor = { ...await httpFloor(options.runs * 5), embeddedCouchRootMs: rounded(summarize(await roundTrips(couch.url, 'GET', options.runs * 5, options.runs))) };
    console.log(`HTTP round trip, back to back, one kept-alive connection: echo in this process ${floor.echoInProcessMs.p50} ms, `
      + `echo in a child process ${floor.echoChildProcessMs.p50} ms, embedded CouchDB GET / ${floor.embeddedCouchRootMs.p50} ms`);
    const results = {
      msPerTransitionMemory: memory,
      msPerTransitionEmbeddedCouch: couchdb,
      bulkDocsOfThreeMs: bulk,
      httpRoundTripFloor: floor,
      storeShareMsP50: rounded({ v: couchdb.p50 - memory.p50 }).v,
    };
    const out = writeReport(options.out, {
      benchmark: 'transition-cost', startedAt, finishedAt: new Date().toISOString(), host: hostInfo(),
      options: { ...options }, results, targets: [],
      notes: [
        'in-process: no platform, no activation; the orchestrator start is not timed, only the size transitions after it',
        'memory: the code alone (group commit over the in-memory store); embedded CouchDB: the same code over the store stack a conductor uses, its round trips included',
        'httpRoundTripFloor: node:http with a kept-alive agent, one request at a time; what any synchronous write over HTTP pays at least on this machine, whatever answers it',
      ],
    });
    console.log(`wrote ${out}`);
  } finally {
    await couch.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const program = new Command('bench-transition-cost')
  .description("A native sequence transition's cost inside the task conductor, in-process: the code over the memory store, and over the embedded CouchDB")
  .option('--size <n>', 'tasks in the sequence', positiveInteger, 40)
  .option('--runs <n>', 'timed runs per store', positiveInteger, 100)
  .option('--warmup <n>', 'untimed runs per store first', positiveInteger, 20)
  .option('--out <file>', 'JSON report', 'bench-results/transition-cost.json')
  .action(async (options: Options) => {
    await main(options);
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
