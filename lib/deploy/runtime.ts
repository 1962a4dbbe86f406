/**
 * Installs whiskflow itself on OpenWhisk, through the `openwhisk` client only (the same code works on
 * `whiskflow local` and on a real OpenWhisk): package `whiskflow` with the orchestrator, the changes
 * feed action (parameter `whiskflowStore`: where run state lives), the task conductor, the timer,
 * the sweeper and the dashboard, and the sweeper's alarm. Every operation is an update
 * (PUT ?overwrite=true), so repeating it is safe.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import type { JsonObject } from '../model/json';
import type { KeyValue, ManagementClient } from '../openwhisk/client';
import { DASHBOARD_ACTION, EVENTS_ACTION, EVENT_KEY_PARAM, PACKAGE, RUNTIME_ACTIONS, STORE_PARAM, SWEEPER_ACTION, SWEEP_RULE, SWEEP_TRIGGER, TASK_ACTION, TASK_CHAIN_PARAM, TASK_EVENTS_PARAM } from '../openwhisk/names';
import type { StoreConfig } from '../store/config';
import { retry } from './calls';
import { readEventKey } from '../openwhisk/event-key';
import { newEventKey } from '../events/event-seal';
import { recreateFeedTrigger } from './feed-trigger';
import { allowedConcurrency, DEFAULT_RUNTIME_CONCURRENCY } from './concurrency';

/**
 * Limits of the whiskflow actions themselves (orchestrator, task conductor, timer). `memoryMb` unset
 * is the platform's default. `concurrency` unset asks for DEFAULT_RUNTIME_CONCURRENCY, or as many
 * as the platform allows when it refuses that (stock OpenWhisk: 1; ./concurrency.ts); a value
 * given is used as it is, and a refusal of it fails the deploy.
 */
export interface RuntimeLimits {
  concurrency?: number;
  memoryMb?: number;
}

/** How the runtime is deployed beyond its limits. */
export interface RuntimeOptions extends RuntimeLimits {
  /**
   * The task conductor fires each task's completion into the workflow's trigger as a CloudEvent
   * (`dev.whiskflow.task.completed` / `.task.failed`), where a user's own rule sees it and the rule
   * to the orchestrator applies it. Otherwise (the default) the conductor applies the completion
   * itself (lib/runtimes/native/conductor-completion.ts): no fire, no orchestrator activation per task.
   * It holds for every workflow of the namespace (one conductor serves them all).
   */
  taskEvents?: boolean;
  /**
   * `false`: the task conductor invokes a new conductor for each next task instead of continuing its
   * composition with it (lib/runtimes/native/composition.ts; the default continues, up to the
   * platform's 50 components a composition).
   */
  taskChain?: boolean;
}

/**
 * Runs the sweeper (lost completions, lib/runtimes/native/sweep.ts) on a cron schedule through the
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
export async function deployRuntime(client: ManagementClient, storeConfig: StoreConfig, bundlesDir: string, runtimeLimits: RuntimeOptions = {}): Promise<string[]> {
  await retry(`update package ${PACKAGE}`, () => client.packages.update({
    name: PACKAGE,
    package: { parameters: [], annotations: [{ key: 'description', value: 'whiskflow native orchestrator' }] },
  }));
  // The event key of an earlier deploy is kept: a new one would refuse the completions of attempts in flight.
  const eventKey = await readEventKey(client) ?? newEventKey();
  const deployed: string[] = [];
  // Unset: the platform's default, 1 (a threshold of 1 is not written, as stock OpenWhisk has it).
  let concurrency: number | undefined = runtimeLimits.concurrency ?? DEFAULT_RUNTIME_CONCURRENCY;
  for (const action of RUNTIME_ACTIONS) {
    const code = readFileSync(join(bundlesDir, action.bundle), 'utf8');
    const annotations: KeyValue[] = [
      ...Object.entries(action.annotations).map(([key, value]) => ({ key, value })),
      // These actions call back into OpenWhisk (invoke, fire), so they need the API key.
      { key: 'provide-api-key', value: true },
      // On the whiskflow local platform: the store's URL from the platform at activation time
      // (lib/store/config.ts storeConfigOfAction); other platforms ignore the annotation.
      ...(action.usesStore ? [{ key: 'provide-platform-couchdb', value: true }] : []),
      ...(action.web ? [{ key: 'web-export', value: true }, { key: 'raw-http', value: true }] : []),
      // `final`: no invocation (a web request, a rule's invoke for a trigger fire) overrides the bound
      // parameters (the controller refuses it, 400); `raw-http`: the page's path and query as they came.
      { key: 'final', value: true },
    ];
    const update = (withConcurrency: number | undefined) => retry(`update action ${action.name}`, () => client.actions.update({
      name: action.name,
      action: {
        exec: { kind: 'nodejs:20', code }, annotations,
        limits: {
          timeout: action.timeoutMs,
          ...(withConcurrency !== undefined ? { concurrency: withConcurrency } : {}),
          ...(runtimeLimits.memoryMb !== undefined ? { memory: runtimeLimits.memoryMb } : {}),
        },
        // Only the actions that read run state get the store settings (they may hold credentials);
        // package-wide defaults would reach every action. The task conductor, which gets them to
        // apply completions, strips them from what it records (conductor-completion.ts).
        parameters: [
          ...(action.usesStore ? [{ key: STORE_PARAM, value: storeConfig }] : []),
          ...(action.signs ? [{ key: EVENT_KEY_PARAM, value: eventKey }] : []),
          ...(action.name === TASK_ACTION && runtimeLimits.taskEvents ? [{ key: TASK_EVENTS_PARAM, value: true }] : []),
          ...(action.name === TASK_ACTION && runtimeLimits.taskChain === false ? [{ key: TASK_CHAIN_PARAM, value: false }] : []),
        ],
      },
    }));
    try {
      await update(concurrency);
    } catch (error) {
      const allowed: number | undefined = runtimeLimits.concurrency === undefined && concurrency !== undefined ? allowedConcurrency(error) : undefined;
      if (allowed === undefined) throw error;
      concurrency = allowed > 1 ? allowed : undefined;
      await update(concurrency);
    }
    deployed.push(action.name);
  }
  return deployed;
}

/**
 * The deployed dashboard's URL (`<apihost>/api/v1/web/<namespace>/whiskflow/dashboard.http`). The
 * namespace is the one the platform stored the action in, so that `_` (the key's default) resolves.
 */
export async function dashboardUrl(client: ManagementClient, apihost: string): Promise<string> {
  return webActionUrl(client, apihost, DASHBOARD_ACTION);
}

/** The deployed HTTP endpoint for events and callbacks (`…/whiskflow/events.http`, lib/runs/event-endpoint.ts). */
export async function eventsEndpointUrl(client: ManagementClient, apihost: string): Promise<string> {
  return webActionUrl(client, apihost, EVENTS_ACTION);
}

async function webActionUrl(client: ManagementClient, apihost: string, name: string): Promise<string> {
  const action = await client.actions.get({ name });
  const [namespace, ...packagePath] = (action.namespace ?? '_').split('/');
  const path = [namespace!, ...packagePath, name.split('/').pop()!].map(encodeURIComponent).join('/');
  return `${apihost.replace(/\/+$/, '')}/api/v1/web/${path}.http`;
}
