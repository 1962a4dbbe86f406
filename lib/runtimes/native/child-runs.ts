/**
 * Child runs: the storage form of a parallel branch of several stages. Its head names the branch's
 * start step within the parent's definition; its scope's end (the core's `end`) is what it reports
 * to the parent, as the outcome of the parent's task it stands for.
 */
import type { Json, JsonObject } from '../../model/json';
import { docIds, type RunFailure, type StageDoc } from '../../store/run-documents';
import { runningHead } from '../../store/run-records';
import type { TaskContext } from './events';
import { attemptEventId, now, type Handling } from './handling';
import type { RunHead } from './run-head';

/**
 * "Invokes" a branch of several stages: starts a child run at the branch's start step, whose input
 * is the parallel stage's selected input (what every branch starts from). It starts inline, in this
 * activation: no platform hop, and the head's create-only write makes a repeated start (a duplicated
 * event, a taken-over claim) a harmless duplicate. The child id is derived from the attempt, so every
 * starter names the same run. Returns the child run id.
 */
export async function startChildRun(ctx: Handling, run: RunHead, startStep: string, input: Json, parent: TaskContext): Promise<string> {
  const childRunId = docIds.childRun(run.runId, parent.position, parent.index, parent.attempt);
  const head: RunHead = runningHead(
    { runId: childRunId, workflow: run.workflow, input, startedAt: now(ctx), startedBy: ctx.activationId, parent },
    { definition: run.definition, startStep, trigger: run.trigger, selfReporting: run.selfReporting },
  );
  await ctx.beginRun(head);
  return childRunId;
}

/**
 * A child run ended: its end becomes the outcome of the parent's task, delivered by handling the
 * parent's `task.completed`/`task.failed` inline, in this activation, rather than by firing the
 * workflow trigger (as the task conductor does). Inline costs no platform hop and no rule
 * invocation, needs nothing beyond the `TaskInvoker` (unit tests keep their in-memory fakes), and
 * cannot be lost between two activations: if this activation dies before the report lands, the
 * child's head is still running (see finishRun) and the redelivered event reports again. It keeps
 * exactly-once because the parent handles it like any other completion of that task: the result's
 * create-only write decides a duplicate, and concurrent last branches (children ending in
 * different activations at once) meet in the same bucket join as concurrent task completions.
 * Recursion is bounded by the nesting depth of the definition.
 */
export async function reportToParent(ctx: Handling, parent: TaskContext, end: NonNullable<StageDoc['end']>): Promise<void> {
  const eventId = attemptEventId(parent);
  if (end.status === 'succeeded') {
    await ctx.react({ type: 'task.completed', eventId, task: parent, result: end.output ?? null, activationId: ctx.activationId });
    return;
  }
  const failure: RunFailure = end.failure ?? { error: 'whiskflow.ActionFailed', cause: 'unknown', activationId: ctx.activationId };
  await ctx.react({ type: 'task.failed', eventId, task: parent, error: failure as unknown as JsonObject, activationId: failure.activationId ?? ctx.activationId });
}
