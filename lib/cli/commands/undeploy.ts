/** `whiskflow undeploy <workflow>`: removes exactly what deploy created for it (runs are kept). */
import type { Command } from 'commander';
import { undeployWorkflow } from '../../triggers/manager';
import { connect } from './connection';
import { workflowName } from './workflow-file';

export function register(program: Command): void {
  program
    .command('undeploy <workflow>')
    .description('remove a deployed workflow\'s trigger, rule, feeds and definition (past runs stay)')
    .action(async (nameOrFile: string) => {
      const connection = connect();
      const removed = await undeployWorkflow(connection.client, connection.store, workflowName(nameOrFile));
      console.log(removed.length ? `ok: removed ${removed.join(', ')}` : 'nothing to remove');
    });
}
