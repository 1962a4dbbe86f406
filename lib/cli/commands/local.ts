/**
 * `whiskflow local`: runs the local OpenWhisk-compatible platform in the foreground until SIGINT/SIGTERM.
 * With `--stream <url>` it also runs the streaming Condition and Rule Engines against that Kafka or
 * Redis, with the run state in the platform's CouchDB: workflows deployed with `--model streaming`
 * then run with nothing else started (`whiskflow engine` does the same as a process of its own).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { loadConfig, redact } from '../../config';
import { redactStreamUrl } from '../../runtimes/streaming/stream-connection';
import { createClient } from '../../openwhisk/client';
import { startPlatform } from '../../platform';
import { DEFAULT_CONTAINER_NICE, defaultUserMemoryMb } from '../../platform/runtime';
import { startDashboard } from '../../dashboard/start';
import { createRunStore, DEFAULT_DBNAME } from '../../store/config';
import type { RunStore } from '../../store/run-store';
import { startEnginesOnStream } from '../engines';
import { removeLocalPlatformFile, writeLocalPlatformFile } from '../local-platform-file';
import { withWskprops } from '../wskprops';
import { niceLevel, niceLevelFromEnv, nonNegativeInteger, portNumber, positiveInteger, positiveIntegerFromEnv } from '../options';
import { startUpkeep } from '../../runtimes/native/upkeep';

export interface LocalCommandOptions {
  port: number;
  couchPort: number;
  dataDir: string;
  writeWskprops?: string | boolean;
  stockLimits?: boolean;
  userMemory?: number;
  containerNice?: number;
  stream?: string;
  json?: boolean;
  sweepInterval: number;
  sweepStaleAfter: number;
}

export function register(program: Command): void {
  const config = loadConfig();
  program
    .command('local')
    .description('run the local OpenWhisk-compatible platform (REST API, Node.js runtime, CouchDB) until interrupted')
    .option('--port <port>', 'port of the OpenWhisk REST API', portNumber, config.localPort)
    .option('--couch-port <port>', 'port of the embedded CouchDB (0: any free port)', portNumber, config.localCouchPort)
    .option('--data-dir <dir>', 'directory for the platform\'s data', config.localDataDir)
    .option('--write-wskprops [path]', 'set APIHOST, AUTH, NAMESPACE (wsk, whiskflow) and COUCHDB_URL (whiskflow) in ~/.wskprops or the given file, keeping its other lines')
    .option('--stock-limits', 'use the stock OpenWhisk throttles (120 invokes/min, 100 concurrent, 60 fires/min)')
    .option('--user-memory <mb>', `memory for action containers, counted at their actions' memory limits as by OpenWhisk's invoker; activations beyond it wait (default: WHISKFLOW_LOCAL_USER_MEMORY_MB, else ${defaultUserMemoryMb()} here: as many 256 MB containers as half the machine's memory holds at the ~64 MB a local container really uses, 1024..65536; a real invoker's value, e.g. 2048, reproduces its waves; a lower one bounds how many containers cold-start at once on a busy machine)`,
      positiveInteger)
    .option('--container-nice <n>', `run action containers this much below the platform's CPU priority (0..19), so that the controller and CouchDB go first on a busy machine (default: WHISKFLOW_LOCAL_CONTAINER_NICE, else ${DEFAULT_CONTAINER_NICE}; 0: the same priority)`,
      niceLevel)
    .option('--stream <url>', 'also run the streaming engines (workflows deployed with --model streaming) on this kafka://host:port or redis://[user:password@]host:port')
    .option('--json', 'once ready, print one JSON line (apihost, auth, namespace, couchdb, the files written) instead of the text lines')
    .option('--sweep-interval <ms>', 'repair runs (the sweep of `whiskflow sweep`) this often; 0: never', nonNegativeInteger, 30_000)
    .option('--sweep-stale-after <ms>', 'the sweep looks at tasks invoked at least this long ago', nonNegativeInteger, 60_000)
    .action(async (options: LocalCommandOptions) => {
      await runLocal(options, config.couchdbUrl);
    });
}

async function runLocal(flags: LocalCommandOptions, couchUrl: string | undefined): Promise<void> {
  // The environment's defaults are read here, not when the commands are registered: a bad value
  // stops `whiskflow local`, not every other command.
  const options: LocalCommandOptions = {
    ...flags,
    userMemory: flags.userMemory ?? positiveIntegerFromEnv('WHISKFLOW_LOCAL_USER_MEMORY_MB'),
    containerNice: flags.containerNice ?? niceLevelFromEnv('WHISKFLOW_LOCAL_CONTAINER_NICE'),
  };
  if (options.stream) hideFromCommandLine(options.stream, redactStreamUrl(options.stream));
  const platformStartedAt = Date.now();
  const platform = await startPlatform({
    port: options.port,
    couchPort: options.couchPort,
    dataDir: options.dataDir,
    stockLimits: options.stockLimits === true,
    ...(options.userMemory !== undefined || options.containerNice !== undefined ? {
      runtime: {
        ...(options.userMemory !== undefined ? { userMemoryMb: options.userMemory } : {}),
        ...(options.containerNice !== undefined ? { containerNice: options.containerNice } : {}),
      },
    } : {}),
    ...(couchUrl ? { couchUrl } : {}),
    log: (message) => console.error(`whiskflow local: ${message}`),
  });
  const dbname = process.env.WHISKFLOW_DB || DEFAULT_DBNAME;
  const say = options.json ? (): void => undefined : (line: string): void => console.log(line);
  const couchdb = String(redact(platform.couchUrl));
  say(`apihost: ${platform.apihost}`);
  say(`auth: ${platform.auth}`);
  say(`namespace: ${platform.namespace}`);
  say(`couchdb: ${couchdb}`);
  // Where the CLI learns this platform's store (lib/cli/local-platform-file.ts): not a guessed port.
  const recorded = writeLocalPlatformFile(options.dataDir, { apihost: platform.apihost, auth: platform.auth, namespace: platform.namespace, couchUrl: platform.couchUrl, dbname });
  say(`wrote ${recorded}: whiskflow commands find this platform's store there when run from ${path.resolve('.')}${path.resolve(options.dataDir) === path.resolve('.whiskflow') ? '' : ` with WHISKFLOW_DATA_DIR=${path.resolve(options.dataDir)}`}`);
  let wskprops: string | undefined;
  if (options.writeWskprops) {
    wskprops = typeof options.writeWskprops === 'string' ? path.resolve(options.writeWskprops) : path.join(homedir(), '.wskprops');
    writeWskpropsFile(wskprops, { APIHOST: platform.apihost, AUTH: platform.auth, NAMESPACE: platform.namespace, COUCHDB_URL: platform.couchUrl });
    say(`wrote ${wskprops} (APIHOST, AUTH, NAMESPACE for wsk and whiskflow; COUCHDB_URL for whiskflow)`);
  }
  if (!options.json) printPointers(platform, path.resolve(options.dataDir));
  const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname });
  await store.ensureReady();
  const dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname, log: (message) => console.error(`whiskflow local: ${message}`) });
  say(`dashboard: ${dashboard.url}`);
  const streaming = options.stream ? await startLocalEngines(options.stream, platform, store) : undefined;
  // Runs interrupted by a restart, or stalled by a lost event, go on by themselves (upkeep.ts).
  const upkeep = options.sweepInterval > 0 ? startUpkeep({
    store, client: createClient({ apihost: platform.apihost, apiKey: platform.auth }),
    intervalMs: options.sweepInterval, staleAfterMs: options.sweepStaleAfter, platformStartedAt, log: (message) => console.error(`whiskflow local: ${message}`),
  }) : undefined;
  if (options.stream) say(`streaming engines on ${redactStreamUrl(options.stream)}`);
  if (options.json) console.log(JSON.stringify({ ready: true, apihost: platform.apihost, auth: platform.auth, namespace: platform.namespace, couchdb, localPlatformFile: recorded, dashboard: dashboard.url, ...(wskprops ? { wskprops } : {}) }));
  else console.log('ready (Ctrl-C to stop)');
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      console.error(`whiskflow local: ${signal}, stopping`);
      removeLocalPlatformFile(recorded);
      // The engines first: their last batches still invoke and read activations on the platform.
      (upkeep?.stop() ?? Promise.resolve()).then(() => streaming?.stop()).then(() => dashboard.stop()).then(() => platform.stop()).then(resolve, (error: unknown) => {
        console.error(`whiskflow local: stop failed: ${String(error)}`);
        resolve();
      });
    };
    const onInt = () => shutdown('SIGINT');
    const onTerm = () => shutdown('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/**
 * The command line is readable by every local user and by action containers (/proc/<pid>/cmdline,
 * ps): a `--stream` URL's password is replaced there by its redacted form (process.title writes
 * over the arguments' memory, which is what the kernel shows).
 */
function hideFromCommandLine(secret: string, shown: string): void {
  if (secret === shown || !process.argv.some((arg) => arg.includes(secret))) return;
  process.title = process.argv.map((arg) => arg.split(secret).join(shown)).join(' ');
}

/** The streaming engines against the local platform, on the platform's own run store. */
async function startLocalEngines(url: string, platform: { apihost: string; auth: string }, store: RunStore): Promise<{ stop(): Promise<void> }> {
  const running = await startEnginesOnStream({
    streamUrl: url,
    store,
    // No workflow files: the ones `whiskflow deploy` left in the store.
    openwhisk: createClient({ apihost: platform.apihost, apiKey: platform.auth }),
    consumer: `${hostname()}-${process.pid}-local`,
    logger: pino({ name: 'whiskflow-local-engine', level: loadConfig().logLevel }, pino.destination(2)),
    onRunFinished: (event) => console.log(`run ${event.data.runId} ${event.data.status}`),
  });
  return running;
}

/** Sets the keys in the wsk properties file, keeping the user's other lines (wsk does the same). */
function writeWskpropsFile(file: string, values: Record<string, string>): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, withWskprops(text, values), { mode: 0o600 });
}

/**
 * The exact lines that point wsk and whiskflow at this platform from another shell. The store's URL
 * carries the embedded CouchDB's credentials, which are never printed: whiskflow finds it in the data
 * directory's local-platform.json (0600).
 */
function printPointers(platform: { apihost: string; auth: string; namespace: string }, dataDir: string): void {
  console.log('point wsk and whiskflow at it from another shell (or start with --write-wskprops):');
  console.log(`  wsk property set --apihost ${platform.apihost} --auth ${platform.auth}`);
  console.log(`  export WHISKFLOW_APIHOST=${platform.apihost} WHISKFLOW_AUTH=${platform.auth} WHISKFLOW_NAMESPACE=${platform.namespace} WHISKFLOW_DATA_DIR=${dataDir}`);
}
