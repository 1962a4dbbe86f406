/** `whiskflow status <runId>`: the run's status, current stage, output or failure; the exit code tells a failed run. */
import type { Command } from 'commander';
import { describeRun, rejectedEventsOf } from '../../runs/run-view';
import { WhiskflowError } from '../../errors';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';
import { waitingLines, waitingOf } from '../run-waiting';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('status <runId>'))
    .description('show the status of a run (exit code: 0 succeeded or running, 2 failed, 1 not found)')
    .option('--json', 'print the run document as JSON')
    .action(async (runId: string, flags: ConnectionFlags & { json?: boolean }) => {
      const found = await withConnection(flags, async (connection) => {
        const view = await describeRun(connection.store, runId, false);
        // What a running run waits on is read while the connection is open.
        const waiting = view ? await waitingOf(connection.store, view, connection.client) : undefined;
        return view ? { view, waiting, rejected: await rejectedEventsOf(connection.store, runId) } : undefined;
      });
      if (!found) throw new WhiskflowError('ENTITY_NOT_FOUND', `run ${runId} not found (list runs with \`whiskflow runs\`)`, { runId });
      const { view, waiting, rejected } = found;
      if (view.run.status === 'failed') process.exitCode = EXIT.runFailed;
      if (flags.json) return printJson(view.run);
      const { run } = view;
      console.log(`run ${run.runId} of ${run.workflow}: ${run.status}`);
      console.log(`started ${new Date(run.startedAt).toISOString()}${run.endedAt ? `, ended ${new Date(run.endedAt).toISOString()} (${run.endedAt - run.startedAt} ms)` : ''}`);
      const current = view.stages.at(-1);
      if (run.status === 'running' && current) console.log(`stage ${current.stageId}: ${current.completed}/${current.taskCount} tasks done`);
      if (waiting) for (const line of waitingLines(waiting)) console.log(line);
      for (const stage of view.stages) {
        for (const child of stage.children ?? []) console.log(`stage ${stage.stageId}: branch ${child.index} runs as child run ${child.runId}: ${child.status}`);
      }
      if (rejected.count > 0) {
        const { count, latest } = rejected;
        console.log(`rejected events: ${count}${latest ? ` (latest ${latest.eventType}: ${latest.reason})` : ''}`);
      }
      if (run.parent) console.log(`child run of ${run.parent.runId} (stage ${run.parent.stageId}, branch ${run.parent.index})`);
      if (run.output !== undefined) console.log(`output: ${JSON.stringify(run.output)}`);
      if (run.failure) {
        console.log(`failure: ${run.failure.error} in stage ${run.failure.stageId ?? '-'} (activation ${run.failure.activationId ?? '-'}): ${run.failure.cause}`);
        console.log(`the failed task's logs and error: whiskflow logs ${run.runId} --failed`);
      }
    });
}
