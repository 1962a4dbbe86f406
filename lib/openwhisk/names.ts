/**
 * Names of everything whiskflow deploys, in one place so that deploy, undeploy, the manifest
 * writer and the CLI agree. Workflow-specific entities start with `whiskflow-<workflow>`.
 */
export const PACKAGE = 'whiskflow';
export const ORCHESTRATOR_ACTION = `${PACKAGE}/orchestrator`;
export const TASK_ACTION = `${PACKAGE}/task`;
export const TIMER_ACTION = `${PACKAGE}/timer`;
/**
 * The CouchDB changes feed: the cloudant package's, built into the local platform like the alarms
 * package (lib/platform/builtins/cloudant-package.ts) and installed on OpenWhisk deployments that
 * follow databases (apache/openwhisk-package-cloudant).
 */
export const CHANGES_FEED_ACTION = '/whisk.system/cloudant/changes';
export const SWEEPER_ACTION = `${PACKAGE}/sweeper`;
export const DASHBOARD_ACTION = `${PACKAGE}/dashboard`;
/** The HTTP endpoint for events and callback reports (lib/runs/event-endpoint.ts). */
export const EVENTS_ACTION = `${PACKAGE}/events`;

/**
 * Bundles (dist/actions/<file>.js) deployed into the package, with their OpenWhisk settings. `web`:
 * a raw-http web action (annotations `web-export`, `raw-http`, `final`; `web: raw` for wskdeploy).
 * `signs`: the action gets the deployment's event key (it starts attempts or re-fires their outcomes).
 * Every one is annotated `final`, so no invocation (a rule's, for a trigger fire) overrides its settings.
 */
export const RUNTIME_ACTIONS = [
  // The orchestrator may wait out throttling (429) with backoff: give it the longest stock limit.
  { name: ORCHESTRATOR_ACTION, bundle: 'orchestrator.js', timeoutMs: 300_000, annotations: {}, usesStore: true, web: false, signs: true },
  // A conductor: the platform runs the user's action between its two activations.
  // It applies each completion itself (lib/runtimes/native/conductor-completion.ts): the store and the event key.
  { name: TASK_ACTION, bundle: 'task.js', timeoutMs: 300_000, annotations: { conductor: true }, usesStore: true, web: false, signs: true },
  { name: TIMER_ACTION, bundle: 'timer.js', timeoutMs: 300_000, annotations: {}, usesStore: false, web: false, signs: false },
  // Re-fires completions lost with a dead orchestrator activation (lib/runtimes/native/sweep.ts).
  { name: SWEEPER_ACTION, bundle: 'sweeper.js', timeoutMs: 300_000, annotations: {}, usesStore: true, web: false, signs: true },
  // The run dashboard's pages, at /api/v1/web/<namespace>/whiskflow/dashboard.http (actions/dashboard.ts).
  { name: DASHBOARD_ACTION, bundle: 'dashboard.js', timeoutMs: 60_000, annotations: {}, usesStore: true, web: true, signs: false },
  // Events and callback reports over HTTP, at /api/v1/web/<namespace>/whiskflow/events.http (actions/events.ts):
  // it checks sender tokens and callback tokens with the event key, and reads workflows' models from the store.
  { name: EVENTS_ACTION, bundle: 'events.js', timeoutMs: 60_000, annotations: {}, usesStore: true, web: true, signs: true },
] as const;

/** Parameter names the deployed entities carry (orchestrator/feed → store settings, trigger → workflow). */
export const STORE_PARAM = 'whiskflowStore';
export const WORKFLOW_PARAM = 'whiskflowWorkflow';
/** The deployment's event key (lib/events/event-seal.ts), bound to the actions that sign (RUNTIME_ACTIONS' `signs`). */
export const EVENT_KEY_PARAM = 'whiskflowEventKey';
/**
 * Bound to the task conductor when completions are to be fired into the workflow's trigger as
 * CloudEvents (`whiskflow deploy --task-events`); otherwise the conductor applies them itself.
 */
export const TASK_EVENTS_PARAM = 'whiskflowTaskEvents';
/**
 * Bound `false` to the task conductor when it is not to continue its composition with the next task
 * (lib/runtimes/native/composition.ts) but to invoke a new conductor for each task.
 */
export const TASK_CHAIN_PARAM = 'whiskflowTaskChain';
/** A workflow trigger's seal of its settings (lib/events/event-seal.ts workflowSeal). */
export const SEAL_PARAM = 'whiskflowSeal';
/** A wskdeploy deployment's trigger (and cron orchestrator) carries the workflow file's document under this name. */
export const DEFINITION_PARAM = 'whiskflowDefinition';

export const workflowTrigger = (workflow: string) => `whiskflow-${workflow}`;
// Triggers and rules share one name space per namespace in OpenWhisk, hence the `-rule` suffix.
export const workflowRule = (workflow: string) => `whiskflow-${workflow}-rule`;
export const cronTrigger = (workflow: string) => `whiskflow-${workflow}-cron`;
export const cronRule = (workflow: string) => `whiskflow-${workflow}-cron-rule`;
/**
 * The orchestrator bound to one workflow, which a wskdeploy manifest's cron rule targets: wskdeploy
 * (like `wsk`) gives a feed trigger's inputs to the feed only, so the alarm's trigger cannot say
 * which workflow it starts; this action's own (final) parameters do.
 */
export const cronStartAction = (workflow: string) => `${PACKAGE}/cron-${workflow}`;
export const changesTrigger = (workflow: string) => `whiskflow-${workflow}-changes`;
export const changesRule = (workflow: string) => `whiskflow-${workflow}-changes-rule`;
/** The runtime's alarm that runs the sweeper (one per namespace, not per workflow). */
export const SWEEP_TRIGGER = 'whiskflow-sweep';
export const SWEEP_RULE = 'whiskflow-sweep-rule';
