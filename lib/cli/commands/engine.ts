/**
 * `whiskflow engine --stream <kafka://…|redis://…>`: runs the streaming Condition Engine and Rule
 * Engine in one process until SIGINT/SIGTERM. Start more processes with the same flags to share the
 * work (consumer groups). Runs start when a `run.started` event reaches the completion topic;
 * `--run <input>` produces one for the `--workflow` given.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import pino from 'pino';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../config';
import { startStreamRun, DEFAULT_TOPICS, type StreamTrigger, type StreamTopics } from '../../runtimes/streaming';
import { redactStreamUrl } from '../../runtimes/streaming/stream-connection';
import { InvalidInputError } from '../../errors';
import type { Json } from '../../model/json';
import type { Workflow } from '../../model/workflow';
import { startEnginesOnStream } from '../engines';
import { positiveInteger } from '../options';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, connect } from './connection';
import { readInput, readWorkflow } from './workflow-file';

export interface EngineCommandOptions extends ConnectionFlags {
  stream: string;
  workflow: string[];
  triggers?: string;
  run?: string;
  consumer: string;
  selfReporting: string[];
  topicPrefix?: string;
  activationPollMs: number;
  json?: boolean;
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('engine'))
    .description('run the streaming Condition Engine and Rule Engine (Kafka or Redis Streams) until interrupted')
    .requiredOption('--stream <url>', 'event stream: kafka://host:port[,host:port] or redis://[user:password@]host:port')
    .option('--workflow <file>', 'a workflow file this engine runs (repeatable; deployed workflows are found in the store too)', collect, [])
    .option('--triggers <file>', 'YAML/JSON list of stream triggers (condition + action) added to runs of their workflow')
    .option('--run [input]', 'start one run of the --workflow with this input (JSON text or file) once the engines are up')
    .option('--consumer <name>', 'this process\'s name in the consumer groups', `${hostname()}-${process.pid}`)
    .option('--self-reporting <action>', 'an action that reports its own completion to the stream (repeatable)', collect, [])
    .option('--topic-prefix <prefix>', 'prefix of the completion, orchestration and events topics', '')
    .option('--activation-poll-ms <ms>', 'pause between rounds of reading the activations of running tasks (unmodified actions report through them)', positiveInteger, 100)
    .option('--json', 'print JSON lines: one when ready, one per finished run')
    .action(async (options: EngineCommandOptions) => {
      await runEngine(options);
    });
}

async function runEngine(options: EngineCommandOptions): Promise<void> {
  const config = loadConfig();
  const logger = pino({ name: 'whiskflow-engine', level: config.logLevel }, pino.destination(2));
  // `--store memory` keeps run state in this process only (one engine).
  const connection = connect(options);
  const { store } = connection;
  const workflows = options.workflow.map((file) => readWorkflow(file));
  const topics: StreamTopics = {
    completions: `${options.topicPrefix ?? ''}${DEFAULT_TOPICS.completions}`,
    orchestration: `${options.topicPrefix ?? ''}${DEFAULT_TOPICS.orchestration}`,
    events: `${options.topicPrefix ?? ''}${DEFAULT_TOPICS.events}`,
  };
  const selfReporting = new Set(options.selfReporting);
  // A bad --run is refused before the engines start taking work from the stream.
  const firstRun = options.run === undefined ? undefined : runRequestOf(options, workflows);

  const running = await startEnginesOnStream({
    streamUrl: options.stream,
    store,
    workflows,
    openwhisk: connection.client,
    topics,
    triggers: options.triggers ? readTriggers(options.triggers) : [],
    consumer: options.consumer,
    logger,
    selfReporting: (action) => selfReporting.has(action),
    rule: { pollIntervalMs: options.activationPollMs },
    onRunFinished: (event) => {
      const { runId, status, result, error } = event.data;
      if (options.json) return void console.log(JSON.stringify({ runId, status, ...(status === 'succeeded' ? { result: result ?? null } : { error: error ?? null }) }));
      const outcome = status === 'succeeded' ? JSON.stringify(result ?? null) : JSON.stringify(error ?? null);
      console.log(`run ${runId} ${status}: ${outcome}`);
    },
  });
  const say = options.json ? (): void => undefined : (line: string): void => console.log(line);
  say(`engine ${options.consumer} on ${redactStreamUrl(options.stream)}, topics ${topics.completions} → ${topics.orchestration}, events from ${topics.events}, store ${store.description}`);
  say(`workflows: ${workflows.map((workflow) => workflow.name).join(', ') || '(deployed ones only)'}`);

  const startedRun = firstRun ? await startStreamRun(running.stream, { ...firstRun, topic: topics.completions }) : undefined;
  if (firstRun) say(`started run ${startedRun} of ${firstRun.workflow}`);
  if (options.json) {
    console.log(JSON.stringify({
      ready: true, consumer: options.consumer, stream: redactStreamUrl(options.stream), topics, store: store.description,
      workflows: workflows.map((workflow) => workflow.name), ...(startedRun ? { startedRun } : {}),
    }));
  } else console.log('ready (Ctrl-C to stop)');

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      console.error(`whiskflow engine: ${signal}, stopping after the batches in progress`);
      running.stop().then(resolve, (error: unknown) => {
        console.error(`whiskflow engine: stop failed: ${String(error)}`);
        resolve();
      });
    };
    const onInt = (): void => shutdown('SIGINT');
    const onTerm = (): void => shutdown('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}

/** The run `--run` asks for: the one `--workflow`'s name and the input. */
function runRequestOf(options: EngineCommandOptions, workflows: readonly Workflow[]): { workflow: string; input: Json } {
  const [workflow] = workflows;
  if (!workflow || workflows.length !== 1) throw new InvalidInputError('--run needs exactly one --workflow', { workflows: workflows.length });
  return { workflow: workflow.name, input: readInput(typeof options.run === 'string' ? options.run : undefined) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A trigger file: a list of `{ id, workflow, stageIds?, condition, action, onFail? }`. */
export function readTriggers(file: string): StreamTrigger[] {
  const document = parseYaml(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(document)) throw new InvalidArgumentError(`${file}: expected a list of triggers`);
  return document.map((raw: unknown, index) => {
    const trigger = raw as Partial<StreamTrigger> | null;
    const where = `${file}: trigger ${index}`;
    if (!trigger || typeof trigger.id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(trigger.id)) throw new InvalidArgumentError(`${where}: id must be letters, digits, _ or -`);
    if (typeof trigger.workflow !== 'string') throw new InvalidArgumentError(`${where}: workflow must name a workflow`);
    if (!trigger.condition || !['join', 'threshold', 'predicate', 'all-of', 'timeout'].includes(trigger.condition.kind)) {
      throw new InvalidArgumentError(`${where}: condition.kind must be join, threshold, predicate, all-of or timeout`);
    }
    if (!trigger.action || typeof trigger.action.action !== 'string') throw new InvalidArgumentError(`${where}: action.action must name an action`);
    return trigger as StreamTrigger;
  });
}
