/** `whiskflow runs`: recent runs, newest first. */
import type { Command } from 'commander';
import { listRuns } from '../../runs/run-view';
import { positiveInteger } from '../options';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('runs'))
    .description('list recent runs, newest first')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--limit <n>', 'how many', positiveInteger, 20)
    .option('--json', 'print the run documents as a JSON array')
    .action(async (flags: ConnectionFlags & { workflow?: string; limit: number; json?: boolean }) => {
      const runs = await withConnection(flags, (connection) => listRuns(connection.store, { limit: flags.limit, ...(flags.workflow ? { workflow: flags.workflow } : {}) }));
      if (flags.json) return printJson(runs);
      for (const run of runs) {
        const took = run.endedAt ? `${run.endedAt - run.startedAt} ms` : '';
        console.log(`${run.runId}  ${run.workflow.padEnd(20)} ${run.status.padEnd(10)} ${new Date(run.startedAt).toISOString()}  ${took}`);
      }
      if (runs.length === 0) console.log('no runs');
    });
}
