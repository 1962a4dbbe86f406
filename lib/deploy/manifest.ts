/**
 * A wskdeploy manifest (apache/openwhisk-wskdeploy specification) that deploys the same entities as
 * `deployRuntime` + `deployWorkflow`, for teams that deploy with `wskdeploy -m manifest.yaml` alone.
 *
 * wskdeploy cannot write CouchDB documents, so the workflow definition travels as the trigger's
 * `whiskflowDefinition` input, in its source form (the workflow file's document, which the
 * orchestrator validates like a workflow file); the orchestrator uses it when the store has no
 * `workflow/<name>` document. The store settings come from `$COUCHDB_URL` (wskdeploy substitutes
 * env variables).
 *
 * A schedule (`feeds.cron`) is an alarms trigger whose rule targets `cronStartAction`: wskdeploy
 * hands a feed trigger's inputs to the feed action only (servicedeployer.go `createFeedAction`
 * creates the trigger without parameters), so the trigger carries nothing but what the alarm fires,
 * its `trigger_payload` (the run's input). The workflow and the store are that action's own
 * parameters, annotated `final` so that no fired payload can pick another workflow or store.
 */
import { stringify } from 'yaml';
import type { Json, JsonObject } from '../model/json';
import { toWorkflow } from '../model/parse';
import { InvalidInputError } from '../errors';
import { workflowSeal } from '../events/event-seal';
import { EVENT_KEY_PARAM, SEAL_PARAM } from '../openwhisk/names';
import { DEFAULT_DBNAME } from '../store/config';
import type { FeedOptions } from './workflow';
import {
  DEFINITION_PARAM, ORCHESTRATOR_ACTION, PACKAGE, RUNTIME_ACTIONS, STORE_PARAM, WORKFLOW_PARAM,
  cronRule, cronStartAction, cronTrigger, workflowRule, workflowTrigger,
} from '../openwhisk/names';

export { DEFINITION_PARAM } from '../openwhisk/names';

export interface ManifestOptions {
  /** Path of the action bundles as seen from the manifest file. @default dist/actions */
  bundlesPath?: string;
  feeds?: Pick<FeedOptions, 'cron' | 'cronInput'>;
  /** The key the deployment's actions get from `$WHISKFLOW_EVENT_KEY`; needed to seal a workflow's trigger. */
  eventKey?: string;
}

const ALARM_FEED = '/whisk.system/alarms/alarm';
const storeInput = { [STORE_PARAM]: { type: 'json', value: { kind: 'couchdb', url: '$COUCHDB_URL', dbname: DEFAULT_DBNAME } } };
/** The event key comes from wskdeploy's environment, like the store's URL: the manifest holds no secret. */
export const EVENT_KEY_ENV = 'WHISKFLOW_EVENT_KEY';
const eventKeyInput = { [EVENT_KEY_PARAM]: `$${EVENT_KEY_ENV}` };
const actionName = (qualified: string) => qualified.slice(PACKAGE.length + 1);

/**
 * The manifest as a plain object (stringify with `manifestYaml`). `source` is the workflow's
 * document as written (`parseWorkflowSource`); it is validated here, so a manifest never carries a
 * definition the orchestrator would refuse.
 */
export function buildManifest(source: Json | undefined, options: ManifestOptions = {}): Record<string, unknown> {
  const bundles = options.bundlesPath ?? 'dist/actions';
  const actions: Record<string, unknown> = {};
  for (const action of RUNTIME_ACTIONS) {
    actions[actionName(action.name)] = {
      function: `${bundles}/${action.bundle}`,
      runtime: 'nodejs:20',
      main: 'main',
      limits: { timeout: action.timeoutMs },
      annotations: { ...action.annotations, 'provide-api-key': true, final: true },
      // wskdeploy's own form of web-export + raw-http + final.
      ...(action.web ? { web: 'raw' } : {}),
      ...(action.usesStore || action.signs ? { inputs: { ...(action.usesStore ? storeInput : {}), ...(action.signs ? eventKeyInput : {}) } } : {}),
    };
  }
  const pkg: Record<string, unknown> = { version: '0.1.0', license: 'Apache-2.0', actions };
  if (source !== undefined) {
    const workflow = toWorkflow(source);
    if (!options.eventKey) throw new InvalidInputError(`a workflow's manifest needs the deployment's event key (${EVENT_KEY_ENV}): its trigger carries the seal made with it`, { workflow: workflow.name });
    const settings = {
      [WORKFLOW_PARAM]: workflow.name, [DEFINITION_PARAM]: { type: 'json', value: source },
      [SEAL_PARAM]: workflowSeal(options.eventKey, workflow.name, source),
    };
    const triggers: Record<string, unknown> = { [workflowTrigger(workflow.name)]: { inputs: settings } };
    const rules: Record<string, unknown> = { [workflowRule(workflow.name)]: { trigger: workflowTrigger(workflow.name), action: ORCHESTRATOR_ACTION } };
    if (options.feeds?.cron) {
      const orchestrator = RUNTIME_ACTIONS.find((action) => action.name === ORCHESTRATOR_ACTION)!;
      actions[actionName(cronStartAction(workflow.name))] = {
        function: `${bundles}/${orchestrator.bundle}`,
        runtime: 'nodejs:20',
        main: 'main',
        limits: { timeout: orchestrator.timeoutMs },
        annotations: { final: true, 'provide-api-key': true },
        inputs: { ...storeInput, ...eventKeyInput, ...settings },
      };
      triggers[cronTrigger(workflow.name)] = { feed: ALARM_FEED, inputs: cronFeedInputs(options.feeds.cron, options.feeds.cronInput) };
      rules[cronRule(workflow.name)] = { trigger: cronTrigger(workflow.name), action: cronStartAction(workflow.name) };
    }
    pkg.triggers = triggers;
    pkg.rules = rules;
  }
  return { packages: { [PACKAGE]: pkg } };
}

/** The alarm feed's parameters: the schedule, and what each alarm fires (a start with this input). */
function cronFeedInputs(cron: string, input: JsonObject | undefined): Record<string, unknown> {
  return { cron, trigger_payload: { type: 'json', value: { input: input ?? {} } } };
}

export function manifestYaml(source: Json | undefined, options: ManifestOptions = {}): string {
  const name = source === undefined ? undefined : toWorkflow(source).name;
  const header = name
    ? `# wskdeploy manifest for whiskflow workflow '${name}' (generated by \`whiskflow manifest\`).\n`
      + `# Deploy: COUCHDB_URL=https://user:pass@host ${EVENT_KEY_ENV}=<the key this manifest was made with> wskdeploy -m <this file>\n`
      + `# Start a run: wsk trigger fire ${workflowTrigger(name)} -P input.json\n`
    : `# wskdeploy manifest of the whiskflow orchestrator package.\n# Deploy: COUCHDB_URL=https://user:pass@host ${EVENT_KEY_ENV}=<event key> wskdeploy -m <this file>\n`;
  return header + stringify(buildManifest(source, options), { lineWidth: 0, aliasDuplicateObjects: false });
}
