/** `whiskflow status <runId>`: the run's status, current stage, output or failure; the exit code tells a failed run. */
import type { Command } from 'commander';
import { describeRun, rejectedEventsOf } from '../../runs/run-view';
import { WhiskflowError } from '../../errors';
import { EXIT } from '../exit-codes';
import { printJson } from '../output';
import type { ConnectionFlags } from '../settings';
import { addConnectionOptions, withConnection } from './connection';
import { waitsOf, type RunWait } from '../../runtimes/native/run-waits';
import { describeWait, eventsOfRun } from '../../store/event-mailbox';
import type { RunStore } from '../../store/run-store';
import { contextDocId, type StreamRunContext } from '../../runtimes/streaming/run-context';
import { parseTaskKey } from '../../events/task-key';

/**
 * A streaming run's event waits not yet resumed, and its wait stages' timers as last checkpointed
 * (its tasks are the engine's to show).
 */
async function openEventWaits(store: RunStore, runId: string): Promise<{ waits: RunWait[]; more: number }> {
  const [events, context] = await Promise.all([eventsOfRun(store, runId), store.get<StreamRunContext>(contextDocId(runId))]);
  const waits = events.filter((entry) => !entry.received).map(({ wait }): RunWait => ({ what: describeWait(wait), since: wait.since }));
  for (const timer of Object.values(context?.timers ?? {})) {
    if (!timer.id.startsWith('wake:')) continue;
    const stageId = parseTaskKey(timer.id.slice('wake:'.length)).stageId;
    waits.push({ what: `stage ${stageId}: a timer, due ${timer.due}`, since: Date.parse(context?.state.updatedAt ?? timer.due) });
  }
  return { waits, more: 0 };
}

export function register(program: Command): void {
  addConnectionOptions(program
    .command('status <runId>'))
    .description('show the status of a run (exit code: 0 succeeded or running, 2 failed, 1 not found)')
    .option('--json', 'print the run document as JSON')
    .action(async (runId: string, flags: ConnectionFlags & { json?: boolean }) => {
      const found = await withConnection(flags, async (connection) => {
        const view = await describeRun(connection.store, runId, false);
        // What a running native run waits on is read while the connection is open.
        const streaming = (view?.run as { engine?: string } | undefined)?.engine === 'stream';
        const waiting = view && view.run.status === 'running'
          ? (streaming ? await openEventWaits(connection.store, runId) : await waitsOf(connection.store, view.run, connection.client)) : undefined;
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
      if (waiting) {
        const { waits, more } = waiting;
        for (const wait of waits) console.log(`waiting on ${wait.what}, since ${new Date(wait.since).toISOString()}`);
        if (more > 0) console.log(`waiting on ${more} more task(s) of this stage`);
      }
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
