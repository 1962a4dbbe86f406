/**
 * Deploys and removes one workflow. Native: the definition in the store (`workflow/<name>`),
 * trigger + rule `whiskflow-<name>` (events and start requests → orchestrator), optionally an alarms
 * trigger (`cron`) and a CouchDB changes trigger, each with a rule to the orchestrator. Streaming:
 * the definition only, with the stream `whiskflow run` starts it on. Every operation is an update or
 * a delete that tolerates 404, so repeating deploy/undeploy is safe.
 */
import type { JsonObject } from '../model/json';
import type { Workflow } from '../model/workflow';
import type { KeyValue, ManagementClient } from '../openwhisk/client';
import {
  CHANGES_FEED_ACTION, EVENT_KEY_PARAM, ORCHESTRATOR_ACTION, SEAL_PARAM, WORKFLOW_PARAM, changesRule, changesTrigger, cronRule, cronTrigger, workflowRule, workflowTrigger,
} from '../openwhisk/names';
import { statusOf } from '../openwhisk/status';
import { docIds, type WorkflowDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';
import { getIfExists, retry } from './calls';
import { readEventKey } from '../openwhisk/event-key';
import { workflowSeal } from '../events/event-seal';
import { EntityNotFoundError, InvalidInputError } from '../errors';
import { recreateFeedTrigger } from './feed-trigger';
import { checkSupported } from './supported';
import { actionsOf, inspectActions } from './workflow-actions';

/** Parameters of OpenWhisk's cloudant `changes` feed (apache/openwhisk-package-cloudant). */
export interface ChangesFeedOptions {
  dbname: string;
  /** The database server's base URL (credentials may be in it); given as the feed's `protocol`, `host`, `port`, `username`, `password`. */
  url?: string;
  /** Host name (https), when no `url`. */
  host?: string;
  username?: string;
  password?: string;
  iamApiKey?: string;
  filter?: string;
  query_params?: JsonObject;
  /** Feed action. @default /whisk.system/cloudant/changes (built into the local platform) */
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
    const { feed = CHANGES_FEED_ACTION, url, ...params } = feeds.changes;
    await recreateFeedTrigger(client, name, feed, triggerBody([{ key: 'feed', value: feed }]), { ...params, ...(url ? cloudantServerParams(url) : {}) } as JsonObject);
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

/**
 * A server URL as the cloudant `changes` feed takes it: `protocol`, `host`, `port`, `username`,
 * `password` (apache/openwhisk-package-cloudant's parameter names; it has no `url`).
 */
export function cloudantServerParams(url: string): JsonObject {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError(`changes feed: '${url.replace(/\/\/[^@/]*@/, '//***@')}' is not a valid URL`, {});
  }
  return {
    protocol: parsed.protocol.replace(/:$/, ''), host: parsed.hostname,
    ...(parsed.port ? { port: Number(parsed.port) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}
