/** `whiskflow undeploy <workflow>`: removes exactly what deploy created for it (runs are kept). */
import type { Command } from 'commander';
import { undeployWorkflow } from '../../deploy/workflow';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';
import { workflowName } from './workflow-file';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('undeploy <workflow>'))
    .description('remove a deployed workflow\'s trigger, rule, feeds and definition (past runs stay)')
    .option('--json', 'print what was removed as JSON')
    .action(async (nameOrFile: string, flags: ConnectionFlags & { json?: boolean }) => {
      const workflow = workflowName(nameOrFile);
      const removed = await withConnection(flags, (connection) => undeployWorkflow(connection.client, connection.store, workflow));
      if (flags.json) return printJson({ workflow, removed });
      console.log(removed.length ? `ok: removed ${removed.join(', ')}` : 'nothing to remove');
    });
}
