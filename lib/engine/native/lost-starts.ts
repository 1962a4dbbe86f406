/**
 * Starting again runs whose `run.started` event was lost between the workflow's trigger and the
 * orchestrator.
 *
 * `whiskflow run` fires the trigger with a `dev.whiskflow.run.started` CloudEvent naming the run id
 * it chose, and the rule invokes the orchestrator, which creates the run head. The fire can be
 * accepted (the caller holds a trigger activation id) while the start is lost: the rule's invoke
 * is refused (429: OpenWhisk records it only in the trigger activation's logs), or the orchestrator
 * activation dies before it writes the head. No run document then exists for the sweep's other
 * repairs to find; the trigger's activation records are the only trace. OpenWhisk records, per
 * fire, an activation of the trigger whose `response.result` is the fired payload
 * (apache/openwhisk core/controller Triggers.scala), so the sweep lists those and, for a
 * `run.started` payload older than the stale window whose run head does not exist, fires that payload
 * again: same event id, same run id. Whatever the rule's log line says (refused, or invoked and
 * then died), the criterion is the same: no head after the stale window.
 *
 * Firing again is safe: the orchestrator creates the head create-only, so a start that was merely
 * slow, not lost, meets the head of the first and changes nothing.
 *
 * Bounded: the listing is `GET /namespaces/_/activations?name=<trigger>&since&upto&docs=true`
 * (the openwhisk client's `activations.list`), newest first, in pages of at most 200 (OpenWhisk's
 * list limit), over `[now - lookbackMs, now - staleAfterMs]` and at most `maxActivations` records per
 * workflow. The workflow trigger also carries every task completion, so on a busy workflow the cap,
 * not the window, ends the listing; the report names such workflows (`startWindowCut`). Fires
 * within the stale window are not even listed: a start that is still on its way is never fired twice
 * by one sweep.
 *
 * Not covered: runs started by a plain payload or a feed (alarms, CouchDB changes). The orchestrator
 * picks their run id, and nothing in the fire that both it and the sweep could read names the run
 * (an action started by a rule does not learn the trigger activation id, and an alarm fires the
 * same payload every time), so there is no run head to look for.
 */
import type { JsonObject } from '../../model/json';
import { deliverEvent, type DeliveryClient } from '../../report/deliver';
import { docIds, type WorkflowDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { startedRunIdOf } from './events';
import { withThrottleRetry } from './throttle';

/** How far back, and how many of a workflow trigger's activations, the sweep looks at for lost starts. */
export interface StartWindow {
  /** Trigger activations older than this are not looked at. @default 3600000 (1 hour) */
  lookbackMs?: number;
  /** At most this many trigger activations per workflow, newest first. @default 1000 */
  maxActivations?: number;
}

export const DEFAULT_START_WINDOW: Required<StartWindow> = { lookbackMs: 3_600_000, maxActivations: 1_000 };

/** OpenWhisk's largest `limit` for listings (the controller answers 400 above it). */
const PAGE_SIZE = 200;

/** The `activations.list` of the openwhisk client (client-js lib/activations.js). */
export interface ActivationListClient {
  activations: {
    list(options: { name: string; since?: number; upto?: number; limit?: number; skip?: number; docs?: boolean }): Promise<unknown>;
  };
}

export type LostStartClient = DeliveryClient & ActivationListClient;

/** A run whose `run.started` was fired but never created the run: fired again by the sweep. */
export interface RestartedRun {
  runId: string;
  workflow: string;
  /** The (newest) trigger activation whose payload started nothing. */
  lostActivationId: string;
  /** The trigger activation of the fire again. */
  firedActivationId: string;
}

export interface LostStartReport {
  /** Distinct runs whose `run.started` fire was looked at. */
  startsChecked: number;
  restarted: RestartedRun[];
  /** Workflows whose listing stopped at `maxActivations` before the window's start: older fires were not looked at. */
  startWindowCut: string[];
}

export interface LostStartOptions {
  store: RunStore;
  client: LostStartClient;
  /** Fires that started after this (epoch ms) are left alone: they may still be on their way. */
  staleBefore: number;
  now: number;
  window?: StartWindow;
  /** Only these runs (a sweep of given run ids). */
  runIds?: readonly string[];
}

/** A `run.started` fire: the payload that was fired and the trigger activation that recorded it. */
interface Fire {
  runId: string;
  payload: JsonObject;
  activationId: string;
}

/** The parts of a listed trigger activation record that are read. */
interface TriggerActivation {
  activationId?: string;
  response?: { result?: unknown };
}

export async function restartLostStarts(options: LostStartOptions): Promise<LostStartReport> {
  const report: LostStartReport = { startsChecked: 0, restarted: [], startWindowCut: [] };
  const { lookbackMs, maxActivations } = { ...DEFAULT_START_WINDOW, ...options.window };
  const since = options.now - lookbackMs;
  if (since > options.staleBefore || maxActivations <= 0) return report;
  const only = options.runIds ? new Set(options.runIds) : undefined;
  for (const workflow of await nativeWorkflows(options.store)) {
    const listed = await startFires(options.client, workflow.trigger, since, options.staleBefore, maxActivations);
    if (listed.cut) report.startWindowCut.push(workflow.name);
    const fires = only ? listed.fires.filter((fire) => only.has(fire.runId)) : listed.fires;
    report.startsChecked += fires.length;
    const existing = await existingRuns(options.store, fires.map((fire) => fire.runId));
    for (const fire of fires) {
      if (existing.has(fire.runId)) continue;
      const fired = await deliverEvent(options.client, workflow.trigger, workflow.name, fire.payload, Date.now() + 60_000);
      // No activation: the trigger has no active rule (the workflow is switched off): nothing to start it with.
      if (!fired.triggerActivationId) break;
      report.restarted.push({ runId: fire.runId, workflow: workflow.name, lostActivationId: fire.activationId, firedActivationId: fired.triggerActivationId });
    }
  }
  return report;
}

/** Workflows deployed for the native model (a streaming one has no trigger that starts it). */
async function nativeWorkflows(store: RunStore): Promise<WorkflowDoc[]> {
  const rows = await store.listByPrefix<WorkflowDoc>(docIds.workflowsPrefix(), { includeDocs: true });
  return rows.flatMap((row) => (row.doc && row.doc.type === 'workflow' && row.doc.model !== 'streaming' ? [row.doc] : []));
}

/**
 * The `run.started` fires of `trigger` in `[since, upto]`, one per run id (the newest), read newest
 * first in pages; `cut` when `max` records were read before the window's start.
 */
async function startFires(client: ActivationListClient, trigger: string, since: number, upto: number, max: number): Promise<{ fires: Fire[]; cut: boolean }> {
  const fires = new Map<string, Fire>();
  for (let skip = 0; skip < max; skip += PAGE_SIZE) {
    const limit = Math.min(PAGE_SIZE, max - skip);
    // `upto` is fixed for the whole listing, so fires arriving meanwhile do not shift the pages.
    const page = await withThrottleRetry(`list activations of ${trigger}`,
      () => client.activations.list({ name: trigger, since, upto, limit, skip, docs: true }), { deadline: Date.now() + 60_000 });
    const records = Array.isArray(page) ? (page as TriggerActivation[]) : [];
    for (const record of records) {
      const fire = startFireOf(record);
      if (fire && !fires.has(fire.runId)) fires.set(fire.runId, fire);
    }
    if (records.length < limit) return { fires: [...fires.values()], cut: false };
  }
  return { fires: [...fires.values()], cut: true };
}

function startFireOf(record: TriggerActivation): Fire | undefined {
  const result = record.response?.result;
  const runId = startedRunIdOf(result);
  if (!runId || typeof record.activationId !== 'string') return undefined;
  return { runId, payload: cloudEventOf(result as JsonObject), activationId: record.activationId };
}

/**
 * The CloudEvent of a recorded payload. A real OpenWhisk records the fired payload as it was posted;
 * the local platform records it merged over the trigger's parameters (`whiskflowWorkflow`, …). The
 * trigger adds those again at the next fire, and CloudEvents attribute names are lower-case letters
 * and digits only (CloudEvents spec, "Attribute Naming Convention"; `data_base64` is the one
 * exception), so anything else is left out rather than fired as part of the event.
 */
function cloudEventOf(payload: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(payload).filter(([key]) => /^[a-z0-9]+$/.test(key) || key === 'data_base64'));
}

/** Which of `runIds` have a run head, in one `_all_docs` request where the store offers it. */
async function existingRuns(store: RunStore, runIds: readonly string[]): Promise<Set<string>> {
  if (runIds.length === 0) return new Set();
  const ids = runIds.map((runId) => docIds.run(runId));
  if (store.revisions) {
    const revisions = await store.revisions(ids);
    return new Set(runIds.filter((_runId, index) => revisions.has(ids[index]!)));
  }
  const heads = await Promise.all(ids.map((id) => store.get(id)));
  return new Set(runIds.filter((_runId, index) => heads[index] !== undefined));
}
