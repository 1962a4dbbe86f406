/** `whiskflow logs <runId>`: per-stage timings and the activation ids of every task attempt. */
import type { Command } from 'commander';
import { describeRun } from '../../engine/native/run-view';
import { connect } from './connection';

export function register(program: Command): void {
  program
    .command('logs <runId>')
    .description('show per-stage timings and the activation ids of every task of a run')
    .option('--json', 'print as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const view = await describeRun(connect().store, runId);
      if (!view) {
        console.error(`run ${runId} not found`);
        process.exitCode = 1;
        return;
      }
      if (flags.json) return void console.log(JSON.stringify(view, null, 2));
      console.log(`run ${runId} of ${view.run.workflow}: ${view.run.status} (started by activation ${view.run.startedBy ?? '-'})`);
      if (view.run.parent) console.log(`child run of ${view.run.parent.runId} (stage ${view.run.parent.stageId}, branch ${view.run.parent.index})`);
      for (const stage of view.stages) {
        const took = stage.endedAt !== undefined ? `${stage.endedAt - stage.startedAt} ms` : 'running';
        console.log(`[${stage.seq}] ${stage.stageId}: ${stage.completed}/${stage.taskCount} done${stage.failed ? `, ${stage.failed} failed` : ''}, ${took}`);
        for (const task of stage.tasks) {
          // A child run's attempt names the run (drill in with `whiskflow logs <child>`) and the activation that started it.
          const attempts = task.attempts.map((a) => (a.childRunId
            ? `#${a.attempt} child run ${a.childRunId} (${stage.children?.find((child) => child.runId === a.childRunId)?.status ?? 'starting'}, started by ${a.activationId ?? '-'})`
            : `#${a.attempt} ${a.activationId ?? '(not invoked)'}`)).join(', ');
          const outcome = task.outcome ? `${task.outcome.ok ? 'ok' : `failed: ${task.outcome.error}`} (reported by ${task.outcome.activationId ?? '-'})` : 'pending';
          console.log(`    task ${task.index}: ${attempts} -> ${outcome}`);
        }
      }
      if (view.run.failure) console.log(`failure: ${JSON.stringify(view.run.failure)}`);
    });
}
