/**
 * Deploys and removes what a workflow needs on OpenWhisk, through the `openwhisk` client only, so the
 * same code works on `whiskflow local` and on a real OpenWhisk. Every operation is an update
 * (PUT ?overwrite=true) or a delete that tolerates 404, so repeating deploy/undeploy is safe.
 *
 * Per installation: package `whiskflow` with the orchestrator and the changes feed action (parameter
 * `whiskflowStore`: where run state lives), the task conductor and the timer.
 * Per workflow: the definition in the store (`workflow/<name>`), trigger + rule `whiskflow-<name>`
 * (events and start requests → orchestrator), optionally an alarms trigger (`cron`) and a CouchDB
 * changes trigger, each with a rule to the orchestrator.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { EntityNotFoundError, InvalidWorkflowError, hasErrorCode } from '../errors';
import type { JsonObject } from '../model/json';
import type { Workflow } from '../model/workflow';
import type { StoreConfig } from '../store/config';
import { docIds, type WorkflowDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import {
  CHANGES_FEED_ACTION, DASHBOARD_ACTION, ORCHESTRATOR_ACTION, PACKAGE, RUNTIME_ACTIONS, STORE_PARAM, SWEEPER_ACTION, SWEEP_RULE, SWEEP_TRIGGER, WORKFLOW_PARAM,
  changesRule, changesTrigger, cronRule, cronTrigger, workflowRule, workflowTrigger,
} from './names';
import { withThrottleRetry } from '../engine/native/throttle';
import { EVENT_KEY_PARAM, SEAL_PARAM, readEventKey } from '../engine/native/event-auth';
import { newEventKey, workflowSeal } from '../events/event-seal';

type KeyValue = { key: string; value: unknown };

/** The part of the `openwhisk` client the manager uses. */
export interface ManagementClient {
  packages: { update(options: { name: string; package?: object }): Promise<unknown>; delete(options: { name: string }): Promise<unknown> };
  actions: {
    update(options: { name: string; action?: object }): Promise<unknown>;
    get(options: { name: string }): Promise<{ annotations?: KeyValue[]; namespace?: string; parameters?: KeyValue[] }>;
    delete(options: { name: string }): Promise<unknown>;
  };
  triggers: {
    update(options: { name: string; trigger?: object }): Promise<unknown>;
    get(options: { name: string }): Promise<{ annotations?: KeyValue[] }>;
    delete(options: { name: string }): Promise<unknown>;
  };
  rules: { update(options: { name: string; action: string; trigger: string }): Promise<unknown>; delete(options: { name: string }): Promise<unknown> };
  feeds: { create(options: { name: string; trigger: string; params?: object }): Promise<unknown>; delete(options: { name: string; trigger: string }): Promise<unknown> };
}

/** Parameters of OpenWhisk's cloudant `changes` feed (apache/openwhisk-package-cloudant). */
export interface ChangesFeedOptions {
  dbname: string;
  /** `https://host` or host name; one of url/host is required. */
  url?: string;
  host?: string;
  username?: string;
  password?: string;
  iamApiKey?: string;
  filter?: string;
  query_params?: JsonObject;
  /** Feed action; on a real OpenWhisk `/whisk.system/cloudant/changes`. @default whiskflow/changes */
  feed?: string;
}

export interface FeedOptions {
  /** Start a run on this cron schedule (alarms package `alarm` feed). */
  cron?: string;
  /** Input of cron-started runs (`trigger_payload`). */
  cronInput?: JsonObject;
  /** Start a run for each change of a CouchDB/Cloudant database. */
  changes?: ChangesFeedOptions;
}

export interface DeployedWorkflow {
  workflow: string;
  trigger: string;
  rule: string;
  feeds: string[];
  /**
   * Actions the workflow names that do not exist (yet). A task of a missing action fails its attempt
   * with `whiskflow.ActionNotFound` (the task conductor looks it up first): deploy them before running.
   */
  missingActions: string[];
}

const deadline = () => Date.now() + 120_000;
const retry = <T>(what: string, call: () => Promise<T>) => withThrottleRetry(what, call, { deadline: deadline() });

/**
 * Limits of the whiskflow actions themselves (orchestrator, task conductor, timer). Unset means the
 * platform's defaults: stock OpenWhisk allows `concurrency` 1 unless the operator raised
 * `limits.concurrency.max`, so a higher value is opt-in; it lets a wide fan-out's completion events
 * share a few warm orchestrator containers instead of queueing for (or cold-starting) one each.
 */
export interface RuntimeLimits {
  concurrency?: number;
  memoryMb?: number;
}

/**
 * Runs the sweeper (lost completions, lib/engine/native/sweep.ts) on a cron schedule through the
 * alarms feed: trigger `whiskflow-sweep` and its rule, replaced on every call like a workflow's cron.
 */
export async function scheduleSweeper(client: ManagementClient, cron: string, options: { staleAfterMs?: number } = {}): Promise<void> {
  const feed = '/whisk.system/alarms/alarm';
  const params: JsonObject = { cron };
  if (options.staleAfterMs !== undefined) params.trigger_payload = { staleAfterMs: options.staleAfterMs };
  await recreateFeedTrigger(client, SWEEP_TRIGGER, feed, { annotations: [{ key: 'feed', value: feed }] }, params);
  await retry(`update rule ${SWEEP_RULE}`, () => client.rules.update({ name: SWEEP_RULE, trigger: SWEEP_TRIGGER, action: SWEEPER_ACTION }));
}

/** Installs or updates the whiskflow package and its actions from the webpack bundles. */
export async function deployRuntime(client: ManagementClient, storeConfig: StoreConfig, bundlesDir: string, runtimeLimits: RuntimeLimits = {}): Promise<string[]> {
  await retry(`update package ${PACKAGE}`, () => client.packages.update({
    name: PACKAGE,
    package: { parameters: [], annotations: [{ key: 'description', value: 'whiskflow native orchestrator' }] },
  }));
  // The event key of an earlier deploy is kept: a new one would refuse the completions of attempts in flight.
  const eventKey = await readEventKey(client) ?? newEventKey();
  const deployed: string[] = [];
  for (const action of RUNTIME_ACTIONS) {
    const code = readFileSync(join(bundlesDir, action.bundle), 'utf8');
    const annotations: KeyValue[] = [
      ...Object.entries(action.annotations).map(([key, value]) => ({ key, value })),
      // These actions call back into OpenWhisk (invoke, fire), so they need the API key.
      { key: 'provide-api-key', value: true },
      // On the whiskflow local platform: the store's URL from the platform at activation time
      // (lib/store/config.ts storeConfigOfAction); other platforms ignore the annotation.
      ...(action.usesStore ? [{ key: 'provide-platform-couchdb', value: true }] : []),
      // `final`: no request can override the bound store settings; `raw-http`: the page's path and query as they came.
      ...(action.web ? [{ key: 'web-export', value: true }, { key: 'raw-http', value: true }] : []),
      // `final`: no invocation (a web request, a rule's invoke for a trigger fire) overrides the bound
      // parameters (the controller refuses it, 400); `raw-http`: the page's path and query as they came.
      { key: 'final', value: true },
    ];
    await retry(`update action ${action.name}`, () => client.actions.update({
      name: action.name,
      action: {
        exec: { kind: 'nodejs:20', code }, annotations,
        limits: {
          timeout: action.timeoutMs,
          ...(runtimeLimits.concurrency !== undefined ? { concurrency: runtimeLimits.concurrency } : {}),
          ...(runtimeLimits.memoryMb !== undefined ? { memory: runtimeLimits.memoryMb } : {}),
        },
        // Only the actions that read run state get the store settings (they may hold credentials);
        // package-wide defaults would also reach the task conductor and leak into task results.
        parameters: [
          ...(action.usesStore ? [{ key: STORE_PARAM, value: storeConfig }] : []),
          ...(action.signs ? [{ key: EVENT_KEY_PARAM, value: eventKey }] : []),
        ],
      },
    }));
    deployed.push(action.name);
  }
  return deployed;
}

/**
 * The deployed dashboard's URL (`<apihost>/api/v1/web/<namespace>/whiskflow/dashboard.http`). The
 * namespace is the one the platform stored the action in, so that `_` (the key's default) resolves.
 */
export async function dashboardUrl(client: ManagementClient, apihost: string): Promise<string> {
  const action = await client.actions.get({ name: DASHBOARD_ACTION });
  const [namespace, ...packagePath] = (action.namespace ?? '_').split('/');
  const path = [namespace!, ...packagePath, DASHBOARD_ACTION.split('/').pop()!].map(encodeURIComponent).join('/');
  return `${apihost.replace(/\/+$/, '')}/api/v1/web/${path}.http`;
}

/**
 * Parallel stages nested in branches deeper than this are refused. A branch of several stages runs
 * as a child run, whose end is reported to its parent inline (lib/engine/native/orchestrator.ts):
 * the last task of the innermost branch can end every enclosing run in one orchestrator activation,
 * which must fit its time limit, and each level makes the run ids longer.
 */
export const MAX_PARALLEL_NESTING = 8;

/** What the native engine can run; checked at deploy so that a run never finds out halfway. */
export function checkSupported(workflow: Workflow): void {
  const visit = (stages: Workflow['stages'], path: string, depth: number): void => stages.forEach((stage, index) => {
    if (stage.kind !== 'parallel') return;
    const stagePath = `${path}[${index}]`;
    if (depth > MAX_PARALLEL_NESTING) {
      throw new InvalidWorkflowError(stagePath, stage.id, `parallel stages nested at most ${MAX_PARALLEL_NESTING} deep`);
    }
    stage.branches.forEach((branch, branchIndex) => visit(branch.stages, `${stagePath}.branches[${branchIndex}].stages`, depth + 1));
  });
  visit(workflow.stages, '$.stages', 1);
}

/** Names of the actions a workflow invokes, as written in the workflow. */
export function actionsOf(workflow: Workflow): string[] {
  const names = new Set<string>();
  const visit = (stages: Workflow['stages']) => stages.forEach((stage) => {
    if ('action' in stage) names.add(stage.action);
    if (stage.kind === 'parallel') stage.branches.forEach((branch) => visit(branch.stages));
  });
  visit(workflow.stages);
  return [...names];
}

export async function deployWorkflow(client: ManagementClient, store: RunStore, workflow: Workflow, feeds: FeedOptions = {}): Promise<DeployedWorkflow> {
  checkSupported(workflow);
  const eventKey = await readEventKey(client);
  // A runtime deployed before events were signed has none: deploying the runtime again binds one.
  if (!eventKey) throw new EntityNotFoundError('event key of action', `${ORCHESTRATOR_ACTION} (parameter ${EVENT_KEY_PARAM}; deploy the whiskflow runtime again)`);
  const trigger = workflowTrigger(workflow.name);
  const inspected = await inspectActions(client, actionsOf(workflow));
  const doc: WorkflowDoc = {
    type: 'workflow', name: workflow.name, definition: workflow, trigger,
    selfReporting: inspected.selfReporting, deployedAt: Date.now(),
  };
  await store.ensureReady();
  await store.upsert(docIds.workflow(workflow.name), doc);

  // The seal lets the orchestrator tell these settings from a fire's payload that overrides them.
  const triggerBody = (extra: KeyValue[] = []) => ({
    parameters: [{ key: WORKFLOW_PARAM, value: workflow.name }, { key: SEAL_PARAM, value: workflowSeal(eventKey, workflow.name) }],
    annotations: [{ key: 'whiskflow-workflow', value: workflow.name }, ...extra],
  });
  await retry(`update trigger ${trigger}`, () => client.triggers.update({ name: trigger, trigger: triggerBody() }));
  await retry(`update rule ${workflowRule(workflow.name)}`, () => client.rules.update({ name: workflowRule(workflow.name), trigger, action: ORCHESTRATOR_ACTION }));
  const feedTriggers: string[] = [];

  if (feeds.cron) {
    const name = cronTrigger(workflow.name);
    await recreateFeedTrigger(client, name, '/whisk.system/alarms/alarm', triggerBody([{ key: 'feed', value: '/whisk.system/alarms/alarm' }]), {
      cron: feeds.cron, ...(feeds.cronInput ? { trigger_payload: { input: feeds.cronInput } } : {}),
    });
    await retry(`update rule ${cronRule(workflow.name)}`, () => client.rules.update({ name: cronRule(workflow.name), trigger: name, action: ORCHESTRATOR_ACTION }));
    feedTriggers.push(name);
  }
  if (feeds.changes) {
    const name = changesTrigger(workflow.name);
    const { feed = CHANGES_FEED_ACTION, ...params } = feeds.changes;
    await recreateFeedTrigger(client, name, feed, triggerBody([{ key: 'feed', value: feed }]), params as JsonObject);
    await retry(`update rule ${changesRule(workflow.name)}`, () => client.rules.update({ name: changesRule(workflow.name), trigger: name, action: ORCHESTRATOR_ACTION }));
    feedTriggers.push(name);
  }
  return { workflow: workflow.name, trigger, rule: workflowRule(workflow.name), feeds: feedTriggers, missingActions: inspected.missing };
}

/**
 * Deploys a workflow for the streaming model: its definition goes to the store (where `whiskflow
 * engine` finds it) with the stream that `whiskflow run` starts it on; the native trigger, rule and
 * feeds of an earlier native deployment are removed, so that nothing starts it natively any more.
 * The tasks are OpenWhisk actions either way (the Rule Engine invokes them).
 */
export async function deployStreamingWorkflow(client: ManagementClient, store: RunStore, workflow: Workflow, stream: { url: string; topicPrefix: string }): Promise<DeployedWorkflow> {
  const inspected = await inspectActions(client, actionsOf(workflow));
  await store.ensureReady();
  await removeNativeEntities(client, workflow.name);
  const doc: WorkflowDoc = {
    type: 'workflow', name: workflow.name, definition: workflow, trigger: workflowTrigger(workflow.name),
    selfReporting: inspected.selfReporting, deployedAt: Date.now(), model: 'streaming', stream,
  };
  await store.upsert(docIds.workflow(workflow.name), doc);
  return { workflow: workflow.name, trigger: '', rule: '', feeds: [], missingActions: inspected.missing };
}

/** Removes what `deployWorkflow` created (feeds first, as `wsk trigger delete` does); keeps past runs. */
export async function undeployWorkflow(client: ManagementClient, store: RunStore, workflow: string): Promise<string[]> {
  const removed = await removeNativeEntities(client, workflow);
  if (await store.remove(docIds.workflow(workflow))) removed.push(`definition ${workflow}`);
  return removed;
}

/** The rules, triggers and feeds of a native deployment of `workflow` (what exists of them). */
async function removeNativeEntities(client: ManagementClient, workflow: string): Promise<string[]> {
  const removed: string[] = [];
  const gone = async (what: string, call: () => Promise<unknown>) => {
    try {
      await retry(what, call);
      removed.push(what);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  };
  for (const [rule, trigger] of [
    [cronRule(workflow), cronTrigger(workflow)],
    [changesRule(workflow), changesTrigger(workflow)],
    [workflowRule(workflow), workflowTrigger(workflow)],
  ] as const) {
    await gone(`rule ${rule}`, () => client.rules.delete({ name: rule }));
    const existing = await getIfExists(() => client.triggers.get({ name: trigger }));
    if (!existing) continue;
    const feed = existing.annotations?.find((a) => a.key === 'feed')?.value;
    // As `wsk trigger delete` does: tell the feed first, so that it stops firing a deleted trigger.
    if (typeof feed === 'string') await gone(`feed of ${trigger}`, () => client.feeds.delete({ name: feed, trigger }));
    await gone(`trigger ${trigger}`, () => client.triggers.delete({ name: trigger }));
  }
  return removed;
}

async function recreateFeedTrigger(client: ManagementClient, name: string, feed: string, body: object, params: JsonObject): Promise<void> {
  // A feed keeps state outside the trigger (the alarm, the followed database): delete then create
  // so that an update of its parameters replaces the old registration instead of adding one.
  try {
    await client.feeds.delete({ name: feed, trigger: name });
  } catch (error) {
    if (statusOf(error) === undefined) throw error;
  }
  await retry(`update trigger ${name}`, () => client.triggers.update({ name, trigger: body }));
  try {
    await retry(`create feed ${feed} for ${name}`, () => client.feeds.create({ name: feed, trigger: name, params }));
  } catch (error) {
    // As wsk does: a trigger whose feed could not be created is deleted again.
    await client.triggers.delete({ name }).catch(() => undefined);
    throw error;
  }
}

async function getIfExists<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await retry('get', call);
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}

/** The actions `workflow` names that the platform does not know (`whiskflow deploy` refuses them unless told otherwise). */
export async function missingActionsOf(client: ManagementClient, workflow: Workflow): Promise<string[]> {
  return (await inspectActions(client, actionsOf(workflow))).missing;
}

/** Which of the workflow's actions report for themselves (annotation `whiskflow-report: self`), and which are missing. */
async function inspectActions(client: ManagementClient, actions: string[]): Promise<{ selfReporting: string[]; missing: string[] }> {
  const selfReporting: string[] = [];
  const missing: string[] = [];
  for (const name of actions) {
    try {
      const action = await retry(`get action ${name}`, () => client.actions.get({ name }));
      if (action.annotations?.some((a) => a.key === 'whiskflow-report' && a.value === 'self')) selfReporting.push(name);
    } catch (error) {
      // Not deployed yet: the user may deploy their actions after the workflow (reported as missing).
      if (statusOf(error) !== 404 && !hasErrorCode(error, 'ENTITY_NOT_FOUND')) throw error;
      missing.push(name);
    }
  }
  return { selfReporting, missing };
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
