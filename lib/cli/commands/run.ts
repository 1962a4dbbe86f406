/**
 * `whiskflow run <workflow> [--input file|json] [--wait] [--stream url]`: starts a run by firing the
 * workflow's trigger (native model), or, for a workflow deployed with `--model streaming` or with
 * `--stream`, by producing its `run.started` event to the stream that `whiskflow engine` consumes.
 * Either way the run's records land in the same store, so `--wait`, `status`, `logs` and `runs`
 * work alike.
 */
import type { Command } from 'commander';
import { requestRun, waitForRun } from '../../runs/run-client';
import { DEFAULT_TOPICS, startStreamRun } from '../../runtimes/streaming';
import { createEventStream } from '../../runtimes/streaming/stream-connection';
import { hasErrorCode, WhiskflowError } from '../../errors';
import type { Json } from '../../model/json';
import { docIds, type RunDoc, type WorkflowDoc } from '../../store/run-documents';
import { workflowTrigger } from '../../openwhisk/names';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import { StageProgress } from '../progress';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection, type Connection } from './connection';
import { readInput, workflowName } from './workflow-file';
import { positiveInteger } from '../options';

interface RunFlags extends ConnectionFlags {
  input: string;
  wait?: boolean;
  timeout: number;
  stream?: string;
  topicPrefix: string;
  json?: boolean;
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('run <workflow>'))
    .description('start a run of a deployed workflow (exit code with --wait: 0 succeeded, 2 failed, 3 still running at --timeout)')
    .option('-i, --input <json|file>', 'run input, inline JSON or a JSON file', '{}')
    .option('-w, --wait', 'wait for the run to end, showing progress, and print its output')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds', positiveInteger, 300)
    .option('--stream <url>', 'run under the streaming model: kafka://… or redis://… as given to `whiskflow engine`')
    .option('--topic-prefix <prefix>', 'with --stream: the engine\'s --topic-prefix', '')
    .option('--json', 'print the run id (and with --wait the run document) as JSON, without the progress bar')
    .action(async (nameOrFile: string, flags: RunFlags) => {
      await withConnection(flags, (connection) => startRun(connection, workflowName(nameOrFile), readInput(flags.input), flags));
    });
}

async function startRun(connection: Connection, workflow: string, input: Json, flags: RunFlags): Promise<void> {
  const runId = await start(connection, workflow, input, flags);
  if (!flags.json) console.log(`ok: started run ${runId}`);
  if (!flags.wait) {
    if (flags.json) printJson({ runId, workflow });
    return;
  }
  const progress = flags.json ? undefined : new StageProgress();
  let run: RunDoc;
  try {
    run = await waitForRun(connection.store, runId, { timeoutMs: flags.timeout * 1000, ...(progress ? { onProgress: (view) => progress.update(view) } : {}) });
  } catch (error) {
    progress?.stop();
    if (!hasErrorCode(error, 'TIMEOUT')) throw error;
    process.exitCode = EXIT.timedOut;
    if (flags.json) return printJson({ runId, workflow, status: 'running', timedOut: true });
    console.error(`whiskflow: ${error.message}; follow it with \`whiskflow status ${runId}\``);
    return;
  }
  progress?.stop();
  if (run.status !== 'succeeded') process.exitCode = EXIT.runFailed;
  if (flags.json) return printJson(run);
  console.log(`run ${runId} ${run.status}`);
  if (run.status === 'succeeded') console.log(JSON.stringify(run.output, null, 2));
  else {
    console.log(JSON.stringify(run.failure, null, 2));
    console.log(`see the failed task's logs and error: whiskflow logs ${runId} --failed`);
  }
}

/** Fires the trigger, or produces to the stream; a workflow that is not deployed is named as such. */
async function start(connection: Connection, workflow: string, input: Json, flags: RunFlags): Promise<string> {
  if (flags.stream) return startOnStream(flags.stream, `${flags.topicPrefix}${DEFAULT_TOPICS.completions}`, workflow, input);
  // A workflow deployed with `--model streaming` names its stream.
  const deployed = await connection.store.get<WorkflowDoc>(docIds.workflow(workflow));
  if (!deployed) throw notDeployed(workflow, connection);
  if (deployed.stream) return startOnStream(deployed.stream.url, `${deployed.stream.topicPrefix}${DEFAULT_TOPICS.completions}`, workflow, input);
  try {
    return (await requestRun(connection.client, workflow, input)).runId;
  } catch (error) {
    // The definition is in the store but the trigger is gone (removed by hand, another namespace).
    if ((error as { statusCode?: unknown }).statusCode === 404 || hasErrorCode(error, 'ENTITY_NOT_FOUND')) throw notDeployed(workflow, connection, `trigger ${workflowTrigger(workflow)} or its rule is missing`);
    throw error;
  }
}

function notDeployed(workflow: string, connection: Connection, why?: string): WhiskflowError {
  const where = `${connection.apihost} (from ${connection.settings.apihost.source})`;
  return new WhiskflowError('ENTITY_NOT_FOUND', `workflow '${workflow}' is not deployed on ${where}${why ? `: ${why}` : ''} — run \`whiskflow deploy <workflow file>\` first (with \`--model streaming --stream <url>\` for \`whiskflow engine\`)`, { workflow });
}

async function startOnStream(url: string, topic: string, workflow: string, input: Json): Promise<string> {
  const stream = createEventStream(url);
  try {
    return await startStreamRun(stream, { workflow, input, topic });
  } finally {
    await stream.close();
  }
}
