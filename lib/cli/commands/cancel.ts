/**
 * `whiskflow cancel <runId>`: ends a running run as `cancelled`. No task starts after the cancel,
 * tasks already running finish and their completions are recorded and change nothing. A native run
 * is cancelled through its store (lib/runtimes/native/cancel.ts), a streaming run through its stream
 * (a `run.cancelled` event the Condition Engine applies).
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { cancelNativeRun } from '../../runtimes/native/cancel';
import { DEFAULT_TOPICS, cancelStreamRun } from '../../runtimes/streaming';
import { createEventStream } from '../../runtimes/streaming/stream-connection';
import { docIds, type WorkflowDoc } from '../../store/run-documents';
import { connect } from './connection';

export function register(program: Command): void {
  program
    .command('cancel <runId>')
    .description('cancel a running run: no further task starts, the run ends cancelled')
    .option('--reason <text>', 'why (recorded as the run\'s failure cause)')
    .option('--stream <url>', 'for a streaming run: the stream its engine consumes (default: the one the workflow was deployed with)')
    .option('--topic-prefix <prefix>', 'with --stream: the engine\'s --topic-prefix', '')
    .action(async (runId: string, flags: { reason?: string; stream?: string; topicPrefix: string }) => {
      const { store } = connect();
      const reason = flags.reason ?? `cancelled by ${safeUser()} with whiskflow cancel`;
      const outcome = await cancelNativeRun(store, runId, { reason, by: 'whiskflow cancel' });
      if (outcome.outcome === 'over') {
        console.error(`run ${runId} is ${outcome.status} already: nothing to cancel`);
        process.exitCode = 1;
        return;
      }
      if (outcome.outcome === 'cancelled') {
        console.log(`ok: run ${runId} cancelled in stage ${outcome.stageId}`);
        for (const child of outcome.children) console.log(`  child run ${child} cancelled`);
        return;
      }
      const head = await store.get<{ workflow: string }>(docIds.run(runId));
      const deployed = flags.stream ? undefined : (await store.get<WorkflowDoc>(docIds.workflow(head?.workflow ?? '')))?.stream;
      const target = flags.stream ? { url: flags.stream, topicPrefix: flags.topicPrefix } : deployed;
      if (!target) {
        console.error(`run ${runId} runs on a stream, and its workflow names none: give --stream <url> as given to whiskflow engine`);
        process.exitCode = 1;
        return;
      }
      const stream = createEventStream(target.url);
      try {
        await cancelStreamRun(stream, { runId, reason, topic: `${target.topicPrefix}${DEFAULT_TOPICS.completions}` });
      } finally {
        await stream.close();
      }
      console.log(`ok: run ${runId} cancel sent to its Condition Engine`);
    });
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown user';
  }
}
