/**
 * `whiskflow run <workflow> [--input file|json] [--wait] [--stream url]`: starts a run by firing the
 * workflow's trigger (native model), or, for a workflow deployed with `--model streaming` or with
 * `--stream`, by producing its `run.started` event to the stream that `whiskflow engine` consumes.
 * Either way the run's records land in the same store, so `--wait`, `status`, `logs` and `runs`
 * work alike.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { requestRun, waitForRun } from '../../engine/native/run-client';
import { DEFAULT_TOPICS, startStreamRun } from '../../engine/streaming';
import { createEventStream } from '../../engine/streaming/stream-connection';
import type { Json } from '../../model/json';
import { docIds, type WorkflowDoc } from '../../store/run-documents';
import { connect } from './connection';
import { readInput, workflowName } from './workflow-file';

export function register(program: Command): void {
  program
    .command('run <workflow>')
    .description('start a run of a deployed workflow')
    .option('-i, --input <json|file>', 'run input, inline JSON or a JSON file', '{}')
    .option('-w, --wait', 'wait for the run to end, showing progress, and print its output')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds', '300')
    .option('--stream <url>', 'run under the streaming model: kafka://… or redis://… as given to `whiskflow engine`')
    .option('--topic-prefix <prefix>', 'with --stream: the engine\'s --topic-prefix', '')
    .action(async (nameOrFile: string, flags: RunFlags) => {
      const connection = connect();
      const workflow = workflowName(nameOrFile);
      const input = readInput(flags.input);
      // A workflow deployed with `--model streaming` names its stream; --stream overrides it.
      const deployedStream = flags.stream ? undefined : (await connection.store.get<WorkflowDoc>(docIds.workflow(workflow)))?.stream;
      const stream = flags.stream ? { url: flags.stream, topicPrefix: flags.topicPrefix } : deployedStream;
      const runId = stream
        ? await startOnStream(stream.url, `${stream.topicPrefix}${DEFAULT_TOPICS.completions}`, workflow, input)
        : (await requestRun(connection.client, workflow, input)).runId;
      console.log(`ok: started run ${runId}`);
      if (!flags.wait) return;
      const bar = new SingleBar({ format: 'tasks [{bar}] {value}/{total} | stage {stage}', hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
      let started = false;
      const run = await waitForRun(connection.store, runId, {
        timeoutMs: Number(flags.timeout) * 1000,
        onProgress: (view) => {
          const stage = view.stages.at(-1)?.stageId ?? '-';
          if (!started) bar.start(view.progress.total, view.progress.done, { stage });
          started = true;
          bar.setTotal(view.progress.total);
          bar.update(view.progress.done, { stage });
        },
      });
      if (started) bar.stop();
      console.log(`run ${runId} ${run.status}`);
      if (run.status === 'succeeded') console.log(JSON.stringify(run.output, null, 2));
      else {
        console.log(JSON.stringify(run.failure, null, 2));
        process.exitCode = 1;
      }
    });
}

interface RunFlags {
  input: string;
  wait?: boolean;
  timeout: string;
  stream?: string;
  topicPrefix: string;
}

async function startOnStream(url: string, topic: string, workflow: string, input: Json): Promise<string> {
  const stream = createEventStream(url);
  try {
    return await startStreamRun(stream, { workflow, input, topic });
  } finally {
    await stream.close();
  }
}
