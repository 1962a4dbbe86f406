/**
 * The events bench under the native model: the local platform in a child process
 * (scripts/bench/platform-server.js) with the whiskflow actions deployed, one event-stage workflow,
 * N runs started by `run.started` fires of its trigger, and each run's event fired into the same
 * trigger with the official `openwhisk` client (`triggers.invoke`, what `wsk trigger fire` sends):
 * the trigger's rule hands it to `whiskflow/orchestrator`, which keeps it in the mailbox and resumes
 * the run waiting for it. The outcome is read from the run store the orchestrator writes.
 */
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import openwhisk from 'openwhisk';
import type { Workflow } from '../../../lib/model/workflow';
import { deployRuntime } from '../../../lib/deploy/runtime';
import { deployWorkflow } from '../../../lib/deploy/workflow';
import type { DeliveryClient, ManagementClient } from '../../../lib/openwhisk/client';
import { workflowTrigger } from '../../../lib/openwhisk/names';
import { withThrottleRetry } from '../../../lib/openwhisk/throttle';
import { runStartedEvent, toPayload } from '../../../lib/runtimes/native/events';
import { externalCloudEvent } from '../../../lib/runs/event-client';
import { createRunStore, type StoreConfig } from '../../../lib/store/config';
import { eventsOf, waitOf } from '../../../lib/store/event-mailbox';
import { docIds, newRunId, type RunDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { startChildPlatform } from '../lib/child-platform';
import { rounded, summarize } from '../lib/stats';
import { judge, planBatch, type BatchOptions, type RunEnd } from './batch';

export interface NativeOptions extends BatchOptions {
  /** scripts/bench/platform-server.js */
  platformEntry: string;
  /** dist/actions: the webpack bundles of the whiskflow actions. */
  actionsDir: string;
  /** limits.concurrency of the whiskflow actions (one orchestrator container takes many events). */
  whiskflowConcurrency: number;
  /** Fires in flight at once from the bench (starts and events). */
  fireConcurrency: number;
}

type Client = ManagementClient & DeliveryClient;

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

/** A fire of `trigger` with `payload`, retried when the platform throttles (429); fails on anything else. */
async function fire(client: Client, trigger: string, payload: object): Promise<void> {
  const fired = await withThrottleRetry(`fire ${trigger}`, () => client.triggers.invoke({ name: trigger, params: payload as never }), { deadline: Date.now() + 120_000 });
  if (!fired?.activationId) throw new Error(`fire of ${trigger} started nothing: its rule is not active`);
}

/** The run heads of the batch, by run id (one listing of the `run/` range). */
async function runHeads(store: RunStore): Promise<Map<string, RunDoc>> {
  const rows = await store.listByPrefix<RunDoc>(docIds.runsPrefix(), { includeDocs: true });
  return new Map(rows.flatMap((row) => (row.doc?.type === 'run' ? [[row.doc.runId, row.doc] as const] : [])));
}

export async function nativeOnLocalPlatform(workflow: Workflow, options: NativeOptions): Promise<Record<string, unknown>> {
  const platform = await startChildPlatform(options.platformEntry, { platformOptions: { runtime: { maxContainers: 16 } } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  try {
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth, namespace: platform.namespace, agent }) as unknown as Client;
    const storeConfig: StoreConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
    const store = createRunStore(storeConfig);
    await store.ensureReady();
    await deployRuntime(client, storeConfig, options.actionsDir, { concurrency: options.whiskflowConcurrency });
    await deployWorkflow(client, store, workflow);
    const trigger = workflowTrigger(workflow.name);

    const batch = planBatch(options);
    const sentAt = new Map<number, number>();
    const startedAt = new Map<number, number>();
    const runIds = new Map<number, string>();
    const sendEvent = async (index: number): Promise<void> => {
      const event = externalCloudEvent({ id: `pay-${index}`, type: 'payment.received', source: '/bench', key: `o-${index}`, data: { n: index } });
      sentAt.set(index, sentAt.get(index) ?? Date.now());
      await fire(client, trigger, event);
      if (batch.duplicated.has(index)) await fire(client, trigger, event);
    };
    const began = performance.now();
    // Some events before their run exists; then the runs; then the rest, in random order.
    await pool(batch.early, options.fireConcurrency, sendEvent);
    await pool(batch.orders, options.fireConcurrency, async (index) => {
      const runId = newRunId();
      runIds.set(index, runId);
      startedAt.set(index, Date.now());
      await fire(client, trigger, toPayload(runStartedEvent(workflow.name, runId, { orderId: `o-${index}` })));
    });
    await pool(batch.late, options.fireConcurrency, sendEvent);
    const sentAll = performance.now();

    const deadline = performance.now() + options.timeoutMs;
    let heads = await runHeads(store);
    const ended = (): number => batch.orders.filter((index) => heads.get(runIds.get(index) ?? '')?.status !== 'running' && heads.has(runIds.get(index) ?? '')).length;
    while (ended() < options.runs && performance.now() < deadline) {
      await new Promise((done) => setTimeout(done, 1_000));
      heads = await runHeads(store);
    }
    // Let a second resumption (a second result for the wait, a second end) show itself before counting.
    await new Promise((done) => setTimeout(done, 3_000));
    heads = await runHeads(store);
    const makespanMs = performance.now() - began;

    const ends = new Map<number, RunEnd | undefined>();
    await pool(batch.orders, 16, async (index) => {
      const runId = runIds.get(index) as string;
      const head = heads.get(runId);
      if (!head || head.status === 'running') return;
      // The wait is the run's only task: one result document per resumption could ever be written.
      const results = await store.listByPrefix(docIds.resultsPrefix(runId));
      const output = head.output as { payment?: unknown } | undefined;
      ends.set(index, {
        runId, count: results.length, status: head.status, payment: output?.payment,
        latencyMs: (head.endedAt ?? Number.NaN) - Math.max(sentAt.get(index) as number, startedAt.get(index) as number),
      });
    });
    const events = await eventsOf(store, { workflow: workflow.name });
    const pending = events.filter((event) => !event.consumedBy).map((event) => event.eventId);
    // Each event went to the run of its own key.
    const misrouted = events.filter((event) => event.consumedBy && event.consumedBy.runId !== runIds.get(Number(event.key.slice(2))));
    if (misrouted.length > 0) throw new Error(`${misrouted.length} events went to another run, e.g. ${misrouted[0]?.eventId} → ${misrouted[0]?.consumedBy?.runId}`);
    if (events.length !== options.runs) throw new Error(`${events.length} events kept for ${options.runs} sent (duplicates must be one)`);
    const verdict = judge(batch, ends, runIds, pending);
    // Where the time goes: the fire until the orchestrator kept the event, the start until the run waited.
    const kept = summarize(events.map((event) => event.receivedAt - (sentAt.get(Number(event.key.slice(2))) as number)));
    const waits = await Promise.all(batch.orders.map((index) => waitOf(store, runIds.get(index) as string, 0).then((wait) => (wait ? wait.since - (startedAt.get(index) as number) : undefined))));
    const waited = summarize(waits.filter((ms): ms is number => ms !== undefined));
    const stats = await platform.stats();
    return {
      runs: options.runs, early: batch.early.length, duplicated: batch.duplicated.size,
      firesSent: options.runs * 2 + batch.duplicated.size, sendingMs: Math.round(sentAll - began), makespanMs: Math.round(makespanMs),
      eventToResumeMs: verdict.eventToResumeMs, fireToKeptMs: rounded(kept), startToWaitMs: rounded(waited), whiskflowConcurrency: options.whiskflowConcurrency, platform: stats,
    };
  } finally {
    agent.destroy();
    await platform.stop();
  }
}

/** Where the compiled platform entry and the action bundles are, seen from dist/scripts/bench/events/. */
export const NATIVE_DEFAULTS = {
  platformEntry: join(__dirname, '../platform-server.js'),
  actionsDir: join(__dirname, '../../../actions'),
};
