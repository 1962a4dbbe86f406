/** `whiskflow run <workflow> [--input file|json] [--wait]`: starts a run by firing the workflow's trigger. */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { requestRun, waitForRun } from '../../engine/native/run-client';
import { connect } from './connection';
import { readInput, workflowName } from './workflow-file';

export function register(program: Command): void {
  program
    .command('run <workflow>')
    .description('start a run of a deployed workflow')
    .option('-i, --input <json|file>', 'run input, inline JSON or a JSON file', '{}')
    .option('-w, --wait', 'wait for the run to end, showing progress, and print its output')
    .option('--timeout <seconds>', 'with --wait: give up after this many seconds', '300')
    .action(async (nameOrFile: string, flags: { input: string; wait?: boolean; timeout: string }) => {
      const connection = connect();
      const { runId } = await requestRun(connection.client, workflowName(nameOrFile), readInput(flags.input));
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
