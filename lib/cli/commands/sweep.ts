/**
 * `whiskflow sweep [runId...]`: fires again the completion of tasks that finished while their
 * event never reached the orchestrator (its activation died), so that stalled runs go on, and the
 * `run.started` of runs whose start was lost on its way from the trigger to the orchestrator
 * (lib/runtimes/native/sweep.ts). Safe to run at any time, e.g. from cron: duplicates change nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { OpenWhiskTaskInvoker } from '../../runtimes/native/invoker';
import { DEFAULT_START_WINDOW } from '../../runtimes/native/lost-starts';
import { DEFAULT_STALE_AFTER_MS, sweepRuns } from '../../runtimes/native/sweep';
import { readEventKey } from '../../openwhisk/event-key';
import { nonNegativeInteger } from '../options';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';
import { EXIT } from '../exit-codes';

export function register(program: Command): void {
  addConnectionOptions(program
    .command('sweep [runIds...]'))
    .description('re-deliver the completions of finished tasks that running runs never recorded, start attempts claimed but never invoked, and fire again the start of runs that never began (all runs, or the given ones)')
    .option('--stale-after <ms>', 'only tasks invoked (and run starts fired) at least this long ago', nonNegativeInteger, DEFAULT_STALE_AFTER_MS)
    .option('--start-lookback <ms>', 'read workflow trigger activations this far back for lost run starts', nonNegativeInteger, DEFAULT_START_WINDOW.lookbackMs)
    .option('--start-limit <n>', 'read at most this many activations per workflow trigger for lost run starts (0: skip them)', nonNegativeInteger, DEFAULT_START_WINDOW.maxActivations)
    .option('--json', 'print the report as JSON')
    .action(async (runIds: string[], flags: SweepFlags) => {
      const startWindow = { lookbackMs: flags.startLookback, maxActivations: flags.startLimit };
      const report = await withConnection(flags, async ({ store, client }) => {
        // Outcomes fired again must carry their attempts' tokens, made with the deployment's key.
        const eventKey = await readEventKey(client);
        // `_`: unqualified actions resolve in the caller's namespace, as in the orchestrator's own.
        const resume = { invoker: new OpenWhiskTaskInvoker(client, () => Date.now() + 60_000, eventKey), namespace: '_', activationId: `whiskflow-sweep/${randomUUID()}` };
        return sweepRuns({ store, client, staleAfterMs: flags.staleAfter, resume, startWindow, ...(eventKey ? { eventKey } : {}) }, runIds.length > 0 ? runIds : undefined);
      });
      // A re-delivery the orchestrator failed to handle leaves its run waiting: not a success.
      if (report.failedRedeliveries > 0) process.exitCode = EXIT.error;
      if (flags.json) return void console.log(JSON.stringify(report, null, 2));
      console.log(`checked ${report.runsChecked} running run(s): ${report.redelivered.length} completion(s) re-delivered, ${report.stillRunning} overdue task(s) still running, ${report.resumed} never-invoked attempt(s) started, ${report.followUps.length} recorded completion(s) fired again for lost next steps`);
      console.log(`checked ${report.startsChecked} run start(s): ${report.restarted.length} start(s) that never began fired again`);
      for (const item of report.restarted) {
        const start = item.runId !== undefined ? `run ${item.runId}` : `start ${item.startKey} (no run id named)`;
        console.log(`  ${start} of ${item.workflow}: never began (trigger activation ${item.lostActivationId}), fired again (${item.firedActivationId})`);
      }
      for (const workflow of report.startWindowCut) console.log(`  workflow ${workflow}: more trigger activations than --start-limit in the window; older run starts were not checked`);
      for (const item of report.redelivered) {
        const handled = item.handled === 'failed' ? `, re-delivery FAILED in orchestrator activation ${item.handlerActivationId}: ${item.error}` : '';
        console.log(`  run ${item.runId} stage #${item.position} task ${item.index} attempt ${item.attempt}: ${item.outcome} (activation ${item.activationId})${handled}`);
      }
      for (const item of report.childEnds) console.log(`  child run ${item.runId} ${item.status}: its end was reported to run ${item.parentRunId} again`);
      for (const item of report.neverInvoked) console.log(`  run ${item.runId} stage #${item.position} task ${item.index} attempt ${item.attempt}: claimed but never invoked`);
      if (report.failedRedeliveries > 0) console.error(`${report.failedRedeliveries} re-delivered completion(s) failed again: their runs still wait (see the errors above)`);
    });
}

interface SweepFlags extends ConnectionFlags {
  staleAfter: number;
  startLookback: number;
  startLimit: number;
  json?: boolean;
}
