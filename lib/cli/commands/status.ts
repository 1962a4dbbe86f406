/** `whiskflow status <runId>`: the run's status, current stage, output or failure. */
import type { Command } from 'commander';
import { describeRun } from '../../engine/native/run-view';
import { connect } from './connection';
import { waitsOf } from '../../engine/native/run-waits';

export function register(program: Command): void {
  program
    .command('status <runId>')
    .description('show the status of a run')
    .option('--json', 'print the run document as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const connection = connect();
      const view = await describeRun(connection.store, runId, false);
      if (!view) {
        console.error(`run ${runId} not found`);
        process.exitCode = 1;
        return;
      }
      if (flags.json) return void console.log(JSON.stringify(view.run, null, 2));
      const { run } = view;
      console.log(`run ${run.runId} of ${run.workflow}: ${run.status}`);
      console.log(`started ${new Date(run.startedAt).toISOString()}${run.endedAt ? `, ended ${new Date(run.endedAt).toISOString()} (${run.endedAt - run.startedAt} ms)` : ''}`);
      const current = view.stages.at(-1);
      if (run.status === 'running' && current) console.log(`stage ${current.stageId}: ${current.completed}/${current.taskCount} tasks done`);
      if (run.status === 'running' && (run as { engine?: string }).engine !== 'stream') {
        const { waits, more } = await waitsOf(connection.store, run, connection.client);
        for (const wait of waits) console.log(`waiting on ${wait.what}, since ${new Date(wait.since).toISOString()}`);
        if (more > 0) console.log(`waiting on ${more} more task(s) of this stage`);
      }
      for (const stage of view.stages) {
        for (const child of stage.children ?? []) console.log(`stage ${stage.stageId}: branch ${child.index} runs as child run ${child.runId}: ${child.status}`);
      }
      if (run.parent) console.log(`child run of ${run.parent.runId} (stage ${run.parent.stageId}, branch ${run.parent.index})`);
      if (run.output !== undefined) console.log(`output: ${JSON.stringify(run.output)}`);
      if (run.failure) console.log(`failure: ${run.failure.error} in stage ${run.failure.stageId ?? '-'} (activation ${run.failure.activationId ?? '-'}): ${run.failure.cause}`);
    });
}
