/**
 * `whiskflow sweep [runId...]`: fires again the completion of tasks that finished while their
 * event never reached the orchestrator (its activation died), so that stalled runs go on
 * (lib/engine/native/sweep.ts). Safe to run at any time, e.g. from cron: duplicates change nothing.
 */
import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { OpenWhiskTaskInvoker } from '../../engine/native/invoker';
import { DEFAULT_STALE_AFTER_MS, sweepRuns } from '../../engine/native/sweep';
import { connect } from './connection';

export function register(program: Command): void {
  program
    .command('sweep [runIds...]')
    .description('re-deliver the completions of finished tasks that running runs never recorded, and start attempts claimed but never invoked (all running runs, or the given ones)')
    .option('--stale-after <ms>', 'only tasks invoked at least this long ago', milliseconds, DEFAULT_STALE_AFTER_MS)
    .option('--json', 'print the report as JSON')
    .action(async (runIds: string[], flags: { staleAfter: number; json?: boolean }) => {
      const { store, client } = connect();
      // `_`: unqualified actions resolve in the caller's namespace, as in the orchestrator's own.
      const resume = { invoker: new OpenWhiskTaskInvoker(client, () => Date.now() + 60_000), namespace: '_', activationId: `whiskflow-sweep/${randomUUID()}` };
      const report = await sweepRuns({ store, client, staleAfterMs: flags.staleAfter, resume }, runIds.length > 0 ? runIds : undefined);
      if (flags.json) return void console.log(JSON.stringify(report, null, 2));
      console.log(`checked ${report.runsChecked} running run(s): ${report.redelivered.length} completion(s) re-delivered, ${report.stillRunning} overdue task(s) still running, ${report.resumed} never-invoked attempt(s) started`);
      for (const item of report.redelivered) console.log(`  run ${item.runId} stage #${item.seq} task ${item.index} attempt ${item.attempt}: ${item.outcome} (activation ${item.activationId})`);
      for (const item of report.childEnds) console.log(`  child run ${item.runId} ${item.status}: its end was reported to run ${item.parentRunId} again`);
      for (const item of report.neverInvoked) console.log(`  run ${item.runId} stage #${item.seq} task ${item.index} attempt ${item.attempt}: claimed but never invoked`);
    });
}

function milliseconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number of milliseconds');
  return parsed;
}
