/** `whiskflow status <runId>`: the run's status, current stage, output or failure; the exit code tells a failed run. */
import type { Command } from 'commander';
import { describeRun } from '../../engine/native/run-view';
import { WhiskflowError } from '../../errors';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('status <runId>'))
    .description('show the status of a run (exit code: 0 succeeded or running, 2 failed, 1 not found)')
    .option('--json', 'print the run document as JSON')
    .action(async (runId: string, flags: ConnectionFlags & { json?: boolean }) => {
      const view = await withConnection(flags, (connection) => describeRun(connection.store, runId, false));
      if (!view) throw new WhiskflowError('ENTITY_NOT_FOUND', `run ${runId} not found (list runs with \`whiskflow runs\`)`, { runId });
      if (view.run.status === 'failed') process.exitCode = EXIT.runFailed;
      if (flags.json) return printJson(view.run);
      const { run } = view;
      console.log(`run ${run.runId} of ${run.workflow}: ${run.status}`);
      console.log(`started ${new Date(run.startedAt).toISOString()}${run.endedAt ? `, ended ${new Date(run.endedAt).toISOString()} (${run.endedAt - run.startedAt} ms)` : ''}`);
      const current = view.stages.at(-1);
      if (run.status === 'running' && current) console.log(`stage ${current.stageId}: ${current.completed}/${current.taskCount} tasks done`);
      for (const stage of view.stages) {
        for (const child of stage.children ?? []) console.log(`stage ${stage.stageId}: branch ${child.index} runs as child run ${child.runId}: ${child.status}`);
      }
      if (run.parent) console.log(`child run of ${run.parent.runId} (stage ${run.parent.stageId}, branch ${run.parent.index})`);
      if (run.output !== undefined) console.log(`output: ${JSON.stringify(run.output)}`);
      if (run.failure) {
        console.log(`failure: ${run.failure.error} in stage ${run.failure.stageId ?? '-'} (activation ${run.failure.activationId ?? '-'}): ${run.failure.cause}`);
        console.log(`the failed task's logs and error: whiskflow logs ${run.runId} --failed`);
      }
    });
}
