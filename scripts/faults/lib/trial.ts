/**
 * One fault trial: a workload runs on a fresh `whiskflow local` (native, or streaming through a
 * `whiskflow engine` process on Redis or Kafka), one component is killed with SIGKILL at a random
 * point and started again, and the run is followed to its end. What is measured comes from the run
 * store and the counting action's file, never from whiskflow's own account of itself.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRunStore } from '../../../lib/store/config';
import { docIds, type ResultDoc, type RunDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { markedProcesses, startProcess, startWhiskflowLocal, waitForOutput, WHISKFLOW_BIN, type LocalPlatformProcess, type LocalProcess } from './local-process';
import { startBroker, type Broker, type BrokerKind } from './brokers';
import { ACTIONS, PACKAGE, runCounts, type Workload } from './workloads';

const run = promisify(execFile);

/** What is killed: the platform's whole tree, its embedded CouchDB alone, the streaming engine, or the broker. */
export type FaultTarget = 'native-platform' | 'native-couch' | `streaming-engine-${BrokerKind}` | `streaming-broker-${BrokerKind}`;

export const TARGETS: readonly FaultTarget[] = ['native-platform', 'native-couch', 'streaming-engine-redis', 'streaming-engine-kafka', 'streaming-broker-redis', 'streaming-broker-kafka'];

export interface TrialResult {
  target: FaultTarget;
  workload: string;
  tasks: number;
  trial: number;
  /** Killed once this share of the tasks had started (counting action's file). */
  killAtFraction: number;
  killedAfterTaskRuns: number;
  status: RunDoc['status'] | 'not finished';
  completed: boolean;
  tasksLost: number;
  tasksRunTwice: number;
  /** Extra task runs beyond one per task. */
  extraTaskRuns: number;
  /** Distinct tasks that ran at least once by the trial's end (the counting action's file): tells a stuck run from a slow one. */
  tasksRunAtEnd?: number;
  resultsRecordedTwice: number;
  /** From the start of the restart (or the kill, when nothing is restarted) to the run's end. */
  recoveryMs: number | null;
  error?: string;
  /** The last lines printed by the engine (streaming) or the platform, when the run did not complete. */
  diagnostics?: string[];
}

export interface TrialOptions {
  target: FaultTarget;
  workload: Workload;
  trial: number;
  /** How long a run may take after the kill before the trial gives up on it. */
  finishTimeoutMs: number;
  random: () => number;
  log: (line: string) => void;
}

export async function runTrial(options: TrialOptions): Promise<TrialResult> {
  const { target, workload } = options;
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-faults-'));
  const dataDir = join(dir, 'data');
  const countFile = join(dir, 'runs.txt');
  // The counting action runs as the platform's action user (`nobody` under a root platform): it must reach and write the file.
  chmodSync(dir, 0o755);
  writeFileSync(countFile, '');
  chmodSync(countFile, 0o666);
  writeFileSync(join(dir, 'actions.js'), ACTIONS);
  writeFileSync(join(dir, 'workflow.yaml'), workload.yaml);
  const fraction = Math.round((0.05 + options.random() * 0.75) * 100) / 100;
  const result: TrialResult = {
    target, workload: workload.workflow, tasks: workload.tasks, trial: options.trial, killAtFraction: fraction, killedAfterTaskRuns: 0,
    status: 'not finished', completed: false, tasksLost: workload.tasks, tasksRunTwice: 0, extraTaskRuns: 0, resultsRecordedTwice: 0, recoveryMs: null,
  };
  const streaming = target.startsWith('streaming-');
  const brokerKind = (streaming ? target.slice(target.lastIndexOf('-') + 1) : undefined) as BrokerKind | undefined;
  let platform: LocalPlatformProcess | undefined;
  let engine: LocalProcess | undefined;
  let broker: Broker | undefined;
  try {
    broker = brokerKind ? await startBroker(brokerKind, join(dir, 'broker')) : undefined;
    platform = await startWhiskflowLocal(dataDir, { extraArgs: ['--sweep-interval', '5000', '--sweep-stale-after', '10000'] });
    const env = { ...process.env, WHISKFLOW_APIHOST: platform.apihost, WHISKFLOW_AUTH: platform.auth, COUCHDB_URL: platform.couchUrl, WHISKFLOW_DATA_DIR: dataDir, WSK_CONFIG_FILE: join(dir, 'wskprops') };
    const cli = async (...args: string[]) => (await run(process.execPath, [WHISKFLOW_BIN, ...args], { env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 })).stdout;
    // No --consumer: like a restarted process, each engine gets its default name (host and pid).
    const startEngine = () => startProcess(['engine', '--stream', broker!.url], env);
    await cli('deploy', join(dir, 'workflow.yaml'), '--actions', join(dir, 'actions.js'), '--package', PACKAGE, ...(broker ? ['--model', 'streaming', '--stream', broker.url] : []));
    if (broker) {
      engine = startEngine();
      await waitForOutput(engine, /^ready/m);
    }
    const { runId } = JSON.parse(await cli('run', workload.workflow, '--input', JSON.stringify(workload.input(countFile)), '--json')) as { runId: string };
    let store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });

    // The random point: once this share of the tasks has started.
    const killAfter = Math.max(1, Math.floor(fraction * workload.tasks));
    const startedTasks = () => readFileSync(countFile, 'utf8').split('\n').filter(Boolean).length;
    await poll(`${killAfter} task runs`, 600_000, async () => {
      if (startedTasks() >= killAfter) return true;
      const head = await headOf(store, runId);
      return head !== undefined && head.status !== 'running';
    });
    result.killedAfterTaskRuns = startedTasks();
    options.log(`  kill ${target} after ${result.killedAfterTaskRuns} task runs`);
    let recoveryFrom = Date.now();
    if (target === 'native-platform') {
      const port = platform.port;
      await platform.kill9();
      recoveryFrom = Date.now();
      platform = await startWhiskflowLocal(dataDir, { port, extraArgs: ['--sweep-interval', '5000', '--sweep-stale-after', '10000'] });
      store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    } else if (target === 'native-couch') {
      // Only the embedded CouchDB: whether the platform brings it back is what is measured.
      for (const pid of markedProcesses(platform.mark).filter((pid) => commandOf(pid).includes('pouchdb'))) process.kill(pid, 'SIGKILL');
    } else if (target.startsWith('streaming-engine-')) {
      await engine!.kill9();
      recoveryFrom = Date.now();
      engine = startEngine();
      await waitForOutput(engine, /^ready/m);
    } else {
      await broker!.kill9();
      recoveryFrom = Date.now();
      await broker!.start();
    }
    const finished = await pollValue(options.finishTimeoutMs, async () => {
      const head = await headOf(store, runId).catch(() => undefined);
      return head && head.status !== 'running' ? head : undefined;
    });
    if (finished) {
      result.status = finished.status;
      result.recoveryMs = Date.now() - recoveryFrom;
    }
    await measure(result, workload, store, runId, finished, readFileSync(countFile, 'utf8'), streaming);
    // What the killed component's successor said, when the run did not end right.
    if (!result.completed) {
      result.diagnostics = (engine ?? platform).output().split('\n').filter((line) => line.trim()).slice(-15);
      // Where the run stands by whiskflow's own account, to look for why (not used for any count).
      const status = await cli('status', runId).catch((error: unknown) => String(error));
      result.diagnostics.push(...status.split('\n').filter((line) => line.trim()).slice(0, 25));
    }
  } catch (error) {
    const lines = (error instanceof Error ? error.message : String(error)).split('\n');
    result.error = lines[0];
    // A start that failed carries the process's output: keep its end, it says why.
    if (lines.length > 1) result.diagnostics = lines.slice(1).filter((line) => line.trim()).slice(-15);
  } finally {
    await engine?.stop().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

async function measure(result: TrialResult, workload: Workload, store: RunStore, runId: string, head: RunDoc | undefined, counted: string, streaming: boolean): Promise<void> {
  const counts = runCounts(counted);
  result.tasksRunTwice = [...counts.values()].filter((count) => count > 1).length;
  result.extraTaskRuns = [...counts.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  result.tasksRunAtEnd = counts.size;
  // Which task each recorded result names: from the native result documents, or a streaming run's output.
  const recorded: string[] = [];
  if (!streaming) {
    const rows = await store.listByPrefix<ResultDoc>(docIds.resultsPrefix(runId), { includeDocs: true });
    for (const row of rows) {
      const task = (row.doc?.result as { task?: unknown } | undefined)?.task;
      if (row.doc?.ok && typeof task === 'string') recorded.push(task);
    }
  } else if (head?.status === 'succeeded') {
    recorded.push(...streamingRecordedTasks(workload, head.output, counts));
  }
  const seen = new Map<string, number>();
  for (const task of recorded) seen.set(task, (seen.get(task) ?? 0) + 1);
  result.resultsRecordedTwice = [...seen.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
  result.tasksLost = workload.taskIds().filter((id) => !seen.has(id)).length;
  result.completed = head?.status === 'succeeded' && result.tasksLost === 0 && outputIsRight(workload, head.output);
}

/**
 * Which tasks a succeeded streaming run recorded: a map's output names each element's task; a loop's
 * or a sequence's output is its last task's, so each task that ran counts once (its output fed the next one).
 */
export function streamingRecordedTasks(workload: Workload, output: unknown, counts: Map<string, number>): string[] {
  if (workload.kind === 'map') {
    return ((output as { task?: unknown }[] | undefined) ?? []).flatMap((item) => (typeof item?.task === 'string' ? [item.task] : []));
  }
  return workload.taskIds().filter((id) => counts.has(id));
}

function outputIsRight(workload: Workload, output: unknown): boolean {
  if (workload.kind === 'map') return Array.isArray(output) && output.length === workload.tasks && output.every((item, i) => (item as { i?: unknown })?.i === i);
  return (output as { n?: unknown } | undefined)?.n === workload.tasks;
}

async function headOf(store: RunStore, runId: string): Promise<RunDoc | undefined> {
  return store.get<RunDoc>(docIds.run(runId));
}

function commandOf(pid: number): string {
  try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { return ''; }
}

async function poll(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  if (!(await pollValue(timeoutMs, async () => ((await probe().catch(() => false)) ? true : undefined)))) throw new Error(`timed out waiting for ${what}`);
}

async function pollValue<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const giveUpAt = Date.now() + timeoutMs;
  while (Date.now() < giveUpAt) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}
