/** `whiskflow runs`: recent runs, newest first. */
import type { Command } from 'commander';
import { listRuns } from '../../engine/native/run-view';
import { connect } from './connection';

export function register(program: Command): void {
  program
    .command('runs')
    .description('list recent runs, newest first')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--limit <n>', 'how many', '20')
    .action(async (flags: { workflow?: string; limit: string }) => {
      const runs = await listRuns(connect().store, { limit: Number(flags.limit), ...(flags.workflow ? { workflow: flags.workflow } : {}) });
      for (const run of runs) {
        const took = run.endedAt ? `${run.endedAt - run.startedAt} ms` : '';
        console.log(`${run.runId}  ${run.workflow.padEnd(20)} ${run.status.padEnd(10)} ${new Date(run.startedAt).toISOString()}  ${took}`);
      }
      if (runs.length === 0) console.log('no runs');
    });
}
