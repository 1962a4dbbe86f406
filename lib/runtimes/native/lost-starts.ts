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
 * Starts that name no run (a plain payload as `wsk trigger fire` sends it, an alarm, a CouchDB
 * change, on the workflow's trigger or its `-cron`/`-changes` trigger) are keyed instead
 * (`startKeys` in ./events.ts): by the orchestrator activation the rule's log line names, or, when
 * the rule was refused and no orchestrator ran, by the trigger activation. The orchestrator claims
 * `start/<key>` before it creates the run head, so a key without that document is a start that
 * never began, and the sweep fires a `run.started` carrying the key and the payload's input into
 * the workflow trigger. If the original was only slow, the two meet at the key's claim and start
 * one run. Only rule lines of the orchestrator count: another rule on the trigger starts no run.
 * Keyed starts fired before the workflow's last `whiskflow deploy` are left alone: an orchestrator
 * older than start keys handled them without claiming a key, and firing them again would start
 * their runs a second time.
 *
 * Which workflows: those with a `workflow/<name>` document (`whiskflow deploy`), and those deployed
 * with wskdeploy from `whiskflow manifest`, which have none: their trigger carries the workflow's
 * name and definition, so `whiskflow-*` triggers of no documented workflow are read (one GET each),
 * and the trigger's last update stands for the deploy. A feed's trigger is listed only if the
 * namespace's trigger listing has it.
 */
import type { Json, JsonObject } from '../../model/json';
import { INACTIVE_RULE_STATUS, deliverEvent, ruleOutcomes, type RuleOutcome } from '../../openwhisk/deliver';
import type { ActivationListClient, DeliveryClient, TriggerReadClient } from '../../openwhisk/client';
import { docIds, type WorkflowDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { DEFINITION_PARAM, ORCHESTRATOR_ACTION, STORE_PARAM, SWEEP_TRIGGER, WORKFLOW_PARAM, changesTrigger, cronStartAction, cronTrigger, workflowTrigger } from '../../openwhisk/names';
import { keyedStartEvent, startKeys, startRequestOf, toPayload } from './events';
import { withThrottleRetry } from '../../openwhisk/throttle';

/** How far back, and how many of a workflow trigger's activations, the sweep looks at for lost starts. */
export interface StartWindow {
  /** Trigger activations older than this are not looked at. @default 3600000 (1 hour) */
  lookbackMs?: number;
  /** At most this many activations per trigger (the workflow's, its cron's, its changes feed's), newest first. @default 1000 */
  maxActivations?: number;
}

export const DEFAULT_START_WINDOW: Required<StartWindow> = { lookbackMs: 3_600_000, maxActivations: 1_000 };

/** OpenWhisk's largest `limit` for listings (the controller answers 400 above it). */
const PAGE_SIZE = 200;

export type LostStartClient = DeliveryClient & ActivationListClient & TriggerReadClient;

/** A start that was fired but never created its run: fired again by the sweep. */
export interface RestartedRun {
  /** The run the start names (`whiskflow run`); absent for a keyed start, whose run the orchestrator names. */
  runId?: string;
  /** A start that names no run: its key (`start/<key>` is where the orchestrator records the run it started). */
  startKey?: string;
  workflow: string;
  /** The (newest) trigger activation whose payload started nothing. */
  lostActivationId: string;
  /** The trigger activation of the fire again. */
  firedActivationId: string;
}

export interface LostStartReport {
  /** Distinct starts (runs named, or start keys) whose fire was looked at. */
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
  /** Only these runs (a sweep of given run ids; keyed starts are not looked at then). */
  runIds?: readonly string[];
}

/**
 * A start fire, by what identifies its run: the run id it names (and its CloudEvent, fired again
 * as it was), or its start key (and the input of the start). `activationId` is the trigger
 * activation that recorded it.
 */
type Fire = { activationId: string; firedAt: number } & ({ runId: string; startKey?: undefined; payload: JsonObject } | { runId?: undefined; startKey: string; input: Json });

/** The parts of a listed trigger activation record that are read. */
interface TriggerActivation {
  activationId?: string;
  start?: number;
  response?: { result?: unknown };
  logs?: unknown[];
}

/**
 * A workflow whose starts are looked for: deployed by `whiskflow deploy` (its `workflow/<name>`
 * document), or by wskdeploy from `whiskflow manifest` (found by its trigger). `deployedAt`: keyed
 * starts fired before it are left alone.
 */
interface StartedWorkflow {
  name: string;
  trigger: string;
  deployedAt: number;
}

/** The parts of a trigger (listing or GET) that are read. */
interface TriggerEntity {
  name?: string;
  updated?: number;
  parameters?: { key: string; value: unknown }[];
}

/** The document whose existence says the fire's start began: the run head, or the start key's claim. */
const startedDocId = (fire: Fire): string => (fire.runId !== undefined ? docIds.run(fire.runId) : docIds.start(fire.startKey));

export async function restartLostStarts(options: LostStartOptions): Promise<LostStartReport> {
  const report: LostStartReport = { startsChecked: 0, restarted: [], startWindowCut: [] };
  const { lookbackMs, maxActivations } = { ...DEFAULT_START_WINDOW, ...options.window };
  const since = options.now - lookbackMs;
  if (since > options.staleBefore || maxActivations <= 0) return report;
  const only = options.runIds ? new Set(options.runIds) : undefined;
  const { workflows, triggers } = await startedWorkflows(options.store, options.client);
  for (const workflow of workflows) {
    const fires = new Map<string, Fire>();
    // Named runs are started through the workflow's own trigger (`whiskflow run`); feeds name none.
    for (const trigger of only ? [workflow.trigger] : startTriggers(workflow, triggers)) {
      const listed = await startFires(options.client, trigger, since, options.staleBefore, maxActivations);
      if (listed.cut && !report.startWindowCut.includes(workflow.name)) report.startWindowCut.push(workflow.name);
      for (const fire of listed.fires) if (!fires.has(startedDocId(fire))) fires.set(startedDocId(fire), fire);
    }
    const checked = [...fires.values()].filter((fire) => (only ? fire.runId !== undefined && only.has(fire.runId) : fire.runId !== undefined || fire.firedAt >= workflow.deployedAt));
    report.startsChecked += checked.length;
    const existing = await existingDocs(options.store, checked.map(startedDocId));
    for (const fire of checked) {
      if (existing.has(startedDocId(fire))) continue;
      const payload = fire.runId !== undefined ? fire.payload : toPayload(keyedStartEvent(workflow.name, fire.startKey, fire.input));
      const fired = await deliverEvent(options.client, workflow.trigger, workflow.name, payload, Date.now() + 60_000);
      // No activation: the trigger has no active rule (the workflow is switched off): nothing to start it with.
      if (!fired.triggerActivationId) break;
      report.restarted.push({
        ...(fire.runId !== undefined ? { runId: fire.runId } : { startKey: fire.startKey }),
        workflow: workflow.name, lostActivationId: fire.activationId, firedActivationId: fired.triggerActivationId,
      });
    }
  }
  return report;
}

/**
 * The native workflows, and the names of the namespace's triggers. Those with a document first; then
 * `whiskflow-*` triggers that belong to none of them are read, and a trigger that carries a
 * workflow's name and definition under the workflow's trigger name is a wskdeploy deployment.
 */
async function startedWorkflows(store: RunStore, client: TriggerReadClient): Promise<{ workflows: StartedWorkflow[]; triggers: Set<string> }> {
  const [documented, triggers] = await Promise.all([nativeWorkflows(store), triggerNames(client)]);
  const workflows: StartedWorkflow[] = documented.map(({ name, trigger, deployedAt }) => ({ name, trigger, deployedAt }));
  const known = new Set([SWEEP_TRIGGER, ...workflows.flatMap(allStartTriggers)]);
  // Shortest first: a workflow's trigger before its feeds' triggers, which are then known.
  const unknown = [...triggers].filter((name) => name.startsWith(workflowTrigger('')) && !known.has(name)).sort((a, b) => a.length - b.length);
  for (const name of unknown) {
    if (known.has(name)) continue;
    const deployed = await manifestWorkflow(client, name);
    if (!deployed) continue;
    workflows.push(deployed);
    for (const trigger of allStartTriggers(deployed)) known.add(trigger);
  }
  return { workflows, triggers };
}

/** Workflows deployed for the native model (a streaming one has no trigger that starts it). */
async function nativeWorkflows(store: RunStore): Promise<WorkflowDoc[]> {
  const rows = await store.listByPrefix<WorkflowDoc>(docIds.workflowsPrefix(), { includeDocs: true });
  return rows.flatMap((row) => (row.doc && row.doc.type === 'workflow' && row.doc.model !== 'streaming' ? [row.doc] : []));
}

/** Every trigger name of the namespace, in pages of OpenWhisk's list limit. */
async function triggerNames(client: TriggerReadClient): Promise<Set<string>> {
  const names = new Set<string>();
  for (let skip = 0; ; skip += PAGE_SIZE) {
    const page = await withThrottleRetry('list triggers', () => client.triggers.list({ limit: PAGE_SIZE, skip }), { deadline: Date.now() + 60_000 });
    const entities = Array.isArray(page) ? (page as TriggerEntity[]) : [];
    for (const entity of entities) if (typeof entity.name === 'string') names.add(entity.name);
    if (entities.length < PAGE_SIZE) return names;
  }
}

/**
 * The workflow a trigger deployed from `whiskflow manifest` starts: it carries the workflow's name
 * and definition, and is named as the workflow's trigger. Its last update stands for the deploy
 * (wskdeploy updates every entity it deploys); a platform that does not say when leaves keyed starts alone.
 */
async function manifestWorkflow(client: TriggerReadClient, triggerName: string): Promise<StartedWorkflow | undefined> {
  let entity: TriggerEntity;
  try {
    entity = (await withThrottleRetry(`get trigger ${triggerName}`, () => client.triggers.get({ name: triggerName }), { deadline: Date.now() + 60_000 })) as TriggerEntity;
  } catch (error) {
    // Deleted since the listing.
    if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw error;
  }
  const parameter = (key: string) => entity.parameters?.find((entry) => entry.key === key)?.value;
  const name = parameter(WORKFLOW_PARAM);
  if (typeof name !== 'string' || parameter(DEFINITION_PARAM) === undefined || workflowTrigger(name) !== triggerName) return undefined;
  return { name, trigger: triggerName, deployedAt: typeof entity.updated === 'number' ? entity.updated : Number.POSITIVE_INFINITY };
}

/** Names of the triggers whose rules start the workflow's runs: its own, and those of its feeds. */
function allStartTriggers(workflow: StartedWorkflow): string[] {
  return [workflow.trigger, cronTrigger(workflow.name), changesTrigger(workflow.name)];
}

/** The start triggers worth listing: the workflow's own, and those of its feeds that exist. */
function startTriggers(workflow: StartedWorkflow, existing: ReadonlySet<string>): string[] {
  return allStartTriggers(workflow).filter((trigger) => trigger === workflow.trigger || existing.has(trigger));
}

/**
 * The start fires of `trigger` in `[since, upto]`, newest first (the caller keeps the newest of
 * each run or key), read in pages; `cut` when `max` records were read before the window's start.
 */
async function startFires(client: ActivationListClient, trigger: string, since: number, upto: number, max: number): Promise<{ fires: Fire[]; cut: boolean }> {
  const fires: Fire[] = [];
  for (let skip = 0; skip < max; skip += PAGE_SIZE) {
    const limit = Math.min(PAGE_SIZE, max - skip);
    // `upto` is fixed for the whole listing, so fires arriving meanwhile do not shift the pages.
    const page = await withThrottleRetry(`list activations of ${trigger}`,
      () => client.activations.list({ name: trigger, since, upto, limit, skip, docs: true }), { deadline: Date.now() + 60_000 });
    const records = Array.isArray(page) ? (page as TriggerActivation[]) : [];
    fires.push(...records.flatMap(startFiresOf));
    if (records.length < limit) return { fires, cut: false };
  }
  return { fires, cut: true };
}

function startFiresOf(record: TriggerActivation): Fire[] {
  if (typeof record.activationId !== 'string') return [];
  const firedAt = typeof record.start === 'number' ? record.start : 0;
  const payload = withoutConfiguration(record.response?.result);
  const start = payload && startRequestOf(payload);
  if (!payload || !start) return [];
  if ('runId' in start) return [{ runId: start.runId, payload: cloudEventOf(payload), activationId: record.activationId, firedAt }];
  const keys = start.startKey ? [start.startKey] : keysOfRuleLines(ruleOutcomes(record.logs), record.activationId);
  return keys.map((startKey) => ({ startKey, input: start.input, activationId: record.activationId!, firedAt }));
}

/**
 * The start keys of a fire that names no run, from its rule lines: the orchestrator activation a
 * rule started, or the trigger activation when the rule was refused. A disabled rule was switched
 * off on purpose, and other rules' actions start no runs.
 */
function keysOfRuleLines(lines: RuleOutcome[], triggerActivationId: string): string[] {
  return lines
    .filter((line) => isOrchestrator(line.action) && line.statusCode !== INACTIVE_RULE_STATUS)
    .map((line) => (line.success && line.activationId ? startKeys.orchestrator(line.activationId) : startKeys.refusedFire(triggerActivationId)));
}

/**
 * The controller logs the rule's action fully qualified: `<namespace>/whiskflow/orchestrator`, or
 * the orchestrator bound to one workflow that a manifest's cron rule targets (`cronStartAction`).
 */
function isOrchestrator(action: string | undefined): boolean {
  if (typeof action !== 'string') return false;
  const name = action.split('/').filter(Boolean).slice(-2).join('/');
  return name === ORCHESTRATOR_ACTION || name.startsWith(cronStartAction(''));
}

/** The recorded payload without whiskflow's configuration parameters, which the orchestrator also takes out before it reads a start. */
function withoutConfiguration(result: unknown): JsonObject | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const { [STORE_PARAM]: _store, [WORKFLOW_PARAM]: _workflow, [DEFINITION_PARAM]: _definition, ...payload } = result as JsonObject;
  return payload;
}

/**
 * The CloudEvent of a recorded payload. OpenWhisk records the fired payload as it was posted, and
 * CloudEvents attribute names are lower-case letters and digits only (CloudEvents spec, "Attribute
 * Naming Convention"; `data_base64` is the one exception), so anything else a caller posted along
 * is left out rather than fired again as part of the event.
 */
function cloudEventOf(payload: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(payload).filter(([key]) => /^[a-z0-9]+$/.test(key) || key === 'data_base64'));
}

/** Which of `ids` exist, in one `_all_docs` request where the store offers it. */
async function existingDocs(store: RunStore, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  if (store.revisions) {
    const revisions = await store.revisions(ids);
    return new Set(ids.filter((id) => revisions.has(id)));
  }
  const docs = await Promise.all(ids.map((id) => store.get(id)));
  return new Set(ids.filter((_id, index) => docs[index] !== undefined));
}
