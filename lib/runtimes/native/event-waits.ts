/**
 * The native orchestrator's event stages (lib/store/event-mailbox.ts has the exactly-once argument):
 * entering a wait registers it and takes an event kept for it; an external event fired into the
 * workflow's trigger is kept and handed to the first open wait. A match resumes the wait as the
 * completion of its one task (`result/<run>/<position>/…/0`, create-only), so the run goes on once, and
 * the timeout, if any, is the timer's `whiskflow.Timeout` failure of that task.
 */
import type { ExternalEvent } from '../../core/correlation';
import { docIds } from '../../store/run-documents';
import { receiveEvent, registerWait, type Received, type WaitRef, type WaitResumer } from '../../store/event-mailbox';
import type { TaskContext } from './events';
import { now, readStage, type Handling } from './handling';
import type { TaskRunner } from './parks';
import type { RunHead } from './run-head';

/** Resumes waits by reacting to their task's completion, as if the event were the task's result. */
function resumer(ctx: Handling): WaitResumer {
  return {
    isOpen: async (wait) => {
      const run = await ctx.store.get<RunHead>(docIds.run(wait.runId));
      if (!run || run.status !== 'running') return false;
      const [result, next] = await Promise.all([ctx.store.get(docIds.result(wait.runId, wait.position, 0, 1)), readStage(ctx, wait.runId, wait.position + 1)]);
      return !result && !next;
    },
    resume: async (wait, event) => {
      const task: TaskContext = { runId: wait.runId, workflow: wait.workflow, position: wait.position, index: 0, attempt: 1, trigger: wait.trigger ?? '', stageId: wait.stageId };
      await ctx.react({ type: 'task.completed', eventId: `${wait.runId}/${wait.position}/0/1`, task, result: event.data });
    },
  };
}

/** A run entered the event stage of `context`'s transition: register the wait, take an event kept for it. */
export async function awaitEvent(ctx: Handling, run: RunHead, context: TaskContext, runner: Extract<TaskRunner, { runsAs: 'event' }>): Promise<void> {
  const since = now(ctx);
  const wait: WaitRef = {
    workflow: run.workflow, eventType: runner.step.eventType, key: runner.key,
    runId: run.runId, position: context.position, stageId: context.stageId, trigger: run.trigger, since,
    ...(runner.step.timeoutMs !== undefined ? { deadline: since + runner.step.timeoutMs } : {}),
  };
  await registerWait(ctx.store, wait, resumer(ctx), since);
}

/** An external event fired into `workflow`'s trigger (or sent over HTTP): kept, and delivered if a run waits. */
export async function receiveExternal(ctx: Handling, workflow: string, event: ExternalEvent, via: string): Promise<Received> {
  return receiveEvent(ctx.store, workflow, event, resumer(ctx), via, now(ctx));
}
