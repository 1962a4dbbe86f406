/** `whiskflow deploy <workflow>`: installs/updates the orchestrator and the workflow's trigger, rule and feeds. */
import { positiveInteger } from '../options';
import { Option, type Command } from 'commander';
import type { JsonObject } from '../../model/json';
import { dashboardUrl, deployRuntime, scheduleSweeper } from '../../deploy/runtime';
import { deployStreamingWorkflow, deployWorkflow, type FeedOptions } from '../../deploy/workflow';
import { missingActionsOf } from '../../deploy/workflow-actions';
import { parseStreamUrl } from '../../runtimes/streaming/brokers/stream-url';
import { redactStreamUrl } from '../../runtimes/streaming/stream-connection';
import type { Workflow } from '../../model/workflow';
import { addConnectionOptions, withConnection, type Connection } from './connection';
import { apihostUrl, sameHost, type ConnectionFlags } from '../settings';
import { localPlatformPath, readLocalPlatformFile, type LocalPlatformFile } from '../local-platform-file';
import { withoutUrlCredentials } from '../../store/config';
import { printJson } from '../output';
import { resolve } from 'path';
import { InvalidInputError } from '../../errors';
import { deployActionFile } from '../../deploy/action-file';
import { readInput, readWorkflow } from './workflow-file';

interface DeployFlags extends ConnectionFlags {
  json?: boolean;
  cron?: string;
  cronInput?: string;
  changesDb?: string;
  changesUrl?: string;
  changesFilter?: string;
  changesFeed?: string;
  actions?: string;
  kind?: string;
  package?: string;
  concurrency?: number;
  memory?: number;
  taskEvents?: boolean;
  sweepCron?: string;
  model: 'native' | 'streaming';
  stream?: string;
  topicPrefix: string;
  allowMissingActions?: boolean;
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('deploy <workflow>'))
    .description('deploy (or update) a workflow: its definition, trigger whiskflow-<name>, rule and feeds')
    .option('--cron <expression>', 'also start a run on this cron schedule (alarms feed)')
    .option('--cron-input <json|file>', 'input of cron-started runs')
    .option('--changes-db <dbname>', 'also start a run for each change of this CouchDB database')
    .option('--changes-url <url>', 'CouchDB/Cloudant URL of --changes-db (default: the store\'s CouchDB)')
    .option('--changes-filter <ddoc/filter>', 'filter function of the changes feed')
    .option('--changes-feed <action>', 'changes feed action (default /whisk.system/cloudant/changes, built into whiskflow local)')
    .option('--actions <file>', 'also deploy the functions of this file as actions (.js: exported functions; .py: top-level functions; .go: func Main-like functions; .jar: one action, its Main-Class) ...')
    .option('--kind <kind>', '... of this kind (default: from the extension, e.g. python:default for .py)')
    .option('--package <name>', '... in this package (with --actions)')
    .option('--concurrency <n>', 'limits.concurrency of the whiskflow actions (orchestrator, conductor, timer); default 32, or the most the platform allows (stock OpenWhisk: 1)', positiveInteger)
    .option('--memory <MB>', 'limits.memory of the whiskflow actions', positiveInteger)
    .option('--task-events', 'fire every task completion into the workflow\'s trigger as a CloudEvent (for rules of your own on it); without it the task conductor applies completions itself, with no fire and no orchestrator activation per task (all workflows of the namespace)')
    .option('--sweep-cron <expression>', 'run whiskflow/sweeper on this schedule (alarms feed): re-delivers completions lost with a dead orchestrator activation')
    .addOption(new Option('--model <model>', 'execution model: native (trigger, rule, orchestrator actions) or streaming (`whiskflow engine`)').choices(['native', 'streaming']).default('native'))
    .option('--stream <url>', 'with --model streaming: the engine\'s kafka://… or redis://… URL, where `whiskflow run` starts runs')
    .option('--topic-prefix <prefix>', 'with --model streaming: the engine\'s --topic-prefix', '')
    .option('--json', 'print what was deployed as JSON')
    .option('--allow-missing-actions', 'deploy even if some of the workflow\'s actions do not exist (their tasks fail with whiskflow.ActionNotFound until they do)')
    .action(async (file: string, flags: DeployFlags) => {
      const workflow = readWorkflow(file);
      await withConnection(flags, (connection) => (flags.model === 'streaming' ? deployForStreaming(connection, workflow, flags) : deployNative(connection, workflow, flags)));
    });
}

async function deployNative(connection: Connection, workflow: Workflow, flags: DeployFlags): Promise<void> {
  const say = flags.json ? (): void => undefined : (line: string): void => console.log(line);
  const feeds: FeedOptions = {};
  if (flags.cron) {
    feeds.cron = flags.cron;
    if (flags.cronInput) feeds.cronInput = readInput(flags.cronInput) as JsonObject;
  }
  if (flags.changesDb) {
    const url = flags.changesUrl ?? ('url' in connection.storeConfig ? connection.storeConfig.url : undefined);
    feeds.changes = { dbname: flags.changesDb, ...(url ? { url } : {}), ...(flags.changesFilter ? { filter: flags.changesFilter } : {}), ...(flags.changesFeed ? { feed: flags.changesFeed } : {}) };
  }
  // The user's actions first: a workflow naming actions that still do not exist changes nothing.
  const actions = await deployActionsOf(connection, flags);
  await refuseMissingActions(connection, workflow, flags);
  await connection.store.ensureReady();
  // On the whiskflow local platform the actions get its store's URL from the platform: the embedded
  // CouchDB's credentials are not bound to them, where `wsk action get` would show them.
  const bound = connection.storeConfig.kind === 'couchdb' && isLocalPlatformStore(readLocalPlatformFile(localPlatformPath()), connection.apihost, connection.storeConfig.url)
    ? withoutUrlCredentials(connection.storeConfig) : connection.storeConfig;
  await deployRuntime(connection.client, bound, connection.bundlesDir, {
    ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    ...(flags.memory !== undefined ? { memoryMb: flags.memory } : {}),
    ...(flags.taskEvents ? { taskEvents: true } : {}),
  });
  if (flags.sweepCron) {
    await scheduleSweeper(connection.client, flags.sweepCron);
    say(`ok: whiskflow/sweeper runs on '${flags.sweepCron}' (trigger whiskflow-sweep)`);
  }
  const deployed = await deployWorkflow(connection.client, connection.store, workflow, feeds);
  if (deployed.missingActions.length) {
    console.error(`warning: these actions do not exist yet; deploy them before running: ${deployed.missingActions.join(', ')}`);
  }
  const dashboard = await dashboardUrl(connection.client, apihostUrl(connection.apihost));
  if (flags.json) return printJson({ model: 'native', ...deployed, actions, dashboard, ...(flags.sweepCron ? { sweepCron: flags.sweepCron } : {}) });
  say(`ok: deployed workflow ${deployed.workflow} (trigger ${deployed.trigger}, rule ${deployed.rule}${deployed.feeds.length ? `, feeds ${deployed.feeds.join(', ')}` : ''})`);
  // A plain fire's parameters are the run's input (lib/runtimes/native/events.ts plainStartInput).
  say(`runs: ${dashboard} (the whiskflow/dashboard web action)`);
  say(`run it: whiskflow run ${deployed.workflow} --input <json|file> --wait   or   wsk trigger fire ${deployed.trigger} -P <input.json>`);
}

/** Native-only flags make no sense for a workflow that `whiskflow engine` runs: refuse them by name. */
const NATIVE_ONLY_FLAGS = [['cron', '--cron'], ['changesDb', '--changes-db'], ['sweepCron', '--sweep-cron'], ['concurrency', '--concurrency'], ['memory', '--memory'], ['taskEvents', '--task-events']] as const;

async function deployForStreaming(connection: Connection, workflow: Workflow, flags: DeployFlags): Promise<void> {
  if (!flags.stream) throw new InvalidInputError('--model streaming needs --stream <url> (the kafka://… or redis://… URL given to `whiskflow engine`)', { flag: '--stream' });
  parseStreamUrl(flags.stream);
  const nativeOnly = NATIVE_ONLY_FLAGS.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
  if (nativeOnly.length > 0) throw new InvalidInputError(`${nativeOnly.join(', ')} only apply to --model native`, { flags: nativeOnly });
  const actions = await deployActionsOf(connection, flags);
  await refuseMissingActions(connection, workflow, flags);
  const deployed = await deployStreamingWorkflow(connection.client, connection.store, workflow, { url: flags.stream, topicPrefix: flags.topicPrefix });
  if (flags.json) return printJson({ model: 'streaming', ...deployed, actions, stream: redactStreamUrl(flags.stream), topicPrefix: flags.topicPrefix });
  console.log(`ok: deployed workflow ${deployed.workflow} for the streaming model (${redactStreamUrl(flags.stream)}${flags.topicPrefix ? `, topic prefix ${flags.topicPrefix}` : ''})`);
  if (deployed.missingActions.length) console.error(`warning: these actions do not exist yet; deploy them before running: ${deployed.missingActions.join(', ')}`);
  console.log(`run it (with \`whiskflow engine --stream ${redactStreamUrl(flags.stream)}\` running): whiskflow run ${deployed.workflow} --input '{...}' --wait`);
}

/** A workflow naming actions the platform does not know is refused, by name, unless `--allow-missing-actions`. */
async function refuseMissingActions(connection: Connection, workflow: Workflow, flags: DeployFlags): Promise<void> {
  if (flags.allowMissingActions) return;
  const missing = await missingActionsOf(connection.client, workflow);
  if (missing.length === 0) return;
  throw new InvalidInputError(`these actions of workflow ${workflow.name} do not exist: ${missing.join(', ')}. Deploy them first (or with --actions), or pass --allow-missing-actions`, { missing });
}

/** `--actions <file> --package <name>`: the task actions, deployed the same way for either model. */
async function deployActionsOf(connection: Connection, flags: DeployFlags): Promise<string[]> {
  if (!flags.actions) return [];
  if (!flags.package) throw new InvalidInputError('--actions needs --package <name>', {});
  const names = await deployActionFile(connection.client, { file: resolve(flags.actions), packageName: flags.package, ...(flags.kind ? { kind: flags.kind } : {}) });
  if (!flags.json) console.log(`ok: deployed actions ${names.join(', ')}`);
  return names;
}

/**
 * True when `storeUrl` is the CouchDB of the local platform the file describes and `apihost` is that
 * platform: its actions then get the store's URL, credentials included, from the platform at each
 * activation (`__OW_LOCAL_COUCHDB_URL`), so the credentials need not be bound to them.
 */
function isLocalPlatformStore(localPlatform: LocalPlatformFile | undefined, apihost: string, storeUrl: string): boolean {
  if (!localPlatform || !sameHost(localPlatform.apihost, apihost)) return false;
  try {
    return new URL(localPlatform.couchUrl).origin === new URL(storeUrl).origin;
  } catch {
    return false;
  }
}
