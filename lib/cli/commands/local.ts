/**
 * `whiskflow local`: runs the local OpenWhisk-compatible platform in the foreground until SIGINT/SIGTERM.
 * With `--stream <url>` it also runs the streaming Condition and Rule Engines against that Kafka or
 * Redis, with the run state in the platform's CouchDB: workflows deployed with `--model streaming`
 * then run with nothing else started (`whiskflow engine` does the same as a process of its own).
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import * as path from 'node:path';
import openwhisk from 'openwhisk';
import pino from 'pino';
import { loadConfig, redact } from '../../config';
import { redactStreamUrl } from '../../engine/streaming/stream-connection';
import type { OpenWhiskLike } from '../../engine/streaming/task-invoker';
import { startPlatform } from '../../platform';
import { DEFAULT_CONTAINER_NICE, defaultUserMemoryMb } from '../../platform/runtime';
import { createRunStore, DEFAULT_DBNAME } from '../../store/config';
import type { RunStore } from '../../store/run-store';
import { ChangesProvider } from '../../triggers/changes-provider';
import { startEnginesOnStream } from '../engines';
import { niceLevel, niceLevelFromEnv, portNumber, positiveInteger, positiveIntegerFromEnv } from '../options';

export interface LocalCommandOptions {
  port: number;
  couchPort: number;
  dataDir: string;
  writeWskprops?: string | boolean;
  stockLimits?: boolean;
  userMemory?: number;
  containerNice?: number;
  stream?: string;
}

export function register(program: Command): void {
  const config = loadConfig();
  program
    .command('local')
    .description('run the local OpenWhisk-compatible platform (REST API, Node.js runtime, CouchDB) until interrupted')
    .option('--port <port>', 'port of the OpenWhisk REST API', portNumber, config.localPort)
    .option('--couch-port <port>', 'port of the embedded CouchDB (0: any free port)', portNumber, config.localCouchPort)
    .option('--data-dir <dir>', 'directory for the platform\'s data', config.localDataDir)
    .option('--write-wskprops [path]', 'write APIHOST and AUTH for wsk to ~/.wskprops or the given file')
    .option('--stock-limits', 'use the stock OpenWhisk throttles (120 invokes/min, 100 concurrent, 60 fires/min)')
    .option('--user-memory <mb>', `memory for action containers, counted at their actions' memory limits as by OpenWhisk's invoker; activations beyond it wait (default: WHISKFLOW_LOCAL_USER_MEMORY_MB, else ${defaultUserMemoryMb()} here: as many 256 MB containers as half the machine's memory holds at the ~64 MB a local container really uses, 1024..65536; a real invoker's value, e.g. 2048, reproduces its waves; a lower one bounds how many containers cold-start at once on a busy machine)`,
      positiveInteger)
    .option('--container-nice <n>', `run action containers this much below the platform's CPU priority (0..19), so that the controller and CouchDB go first on a busy machine (default: WHISKFLOW_LOCAL_CONTAINER_NICE, else ${DEFAULT_CONTAINER_NICE}; 0: the same priority)`,
      niceLevel)
    .option('--stream <url>', 'also run the streaming engines (workflows deployed with --model streaming) on this kafka://host:port or redis://[user:password@]host:port')
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
  console.log(`apihost: ${platform.apihost}`);
  console.log(`auth: ${platform.auth}`);
  console.log(`namespace: ${platform.namespace}`);
  console.log(`couchdb: ${String(redact(platform.couchUrl))}`);
  if (options.writeWskprops) {
    const file = typeof options.writeWskprops === 'string' ? path.resolve(options.writeWskprops) : path.join(homedir(), '.wskprops');
    writeFileSync(file, `APIHOST=${platform.apihost}\nAUTH=${platform.auth}\nNAMESPACE=${platform.namespace}\n`, { mode: 0o600 });
    console.log(`wrote ${file}`);
  }
  // The CouchDB changes feed needs a long-running follower; locally it lives next to the platform
  // (on a real OpenWhisk the cloudant package's provider service plays this role).
  const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: process.env.WHISKFLOW_DB || DEFAULT_DBNAME });
  await store.ensureReady();
  const changes = new ChangesProvider({ store, apihost: platform.apihost, log: (message) => console.error(`whiskflow local: changes feed: ${message}`) });
  changes.start();
  const streaming = options.stream ? await startLocalEngines(options.stream, platform, store) : undefined;
  console.log('ready (Ctrl-C to stop)');
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      console.error(`whiskflow local: ${signal}, stopping`);
      // The engines first: their last batches still invoke and read activations on the platform.
      (streaming?.stop() ?? Promise.resolve()).then(() => changes.stop()).then(() => platform.stop()).then(resolve, (error: unknown) => {
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

/** The streaming engines against the local platform, on the platform's own run store. */
async function startLocalEngines(url: string, platform: { apihost: string; auth: string }, store: RunStore): Promise<{ stop(): Promise<void> }> {
  const running = await startEnginesOnStream({
    streamUrl: url,
    store,
    // No workflow files: the ones `whiskflow deploy` left in the store.
    openwhisk: openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as OpenWhiskLike,
    consumer: `${hostname()}-${process.pid}-local`,
    logger: pino({ name: 'whiskflow-local-engine', level: loadConfig().logLevel }, pino.destination(2)),
    onRunFinished: (event) => console.log(`run ${event.data.runId} ${event.data.status}`),
  });
  console.log(`streaming engines on ${redactStreamUrl(url)}`);
  return running;
}
