/**
 * The native orchestrator over an in-memory store, driven event by event as the platform would:
 * the unit tests' shared harness (a run `run-1` unless told otherwise).
 */
import { handleEvent, type OrchestratorContext, type RunHead } from '../../../../lib/runtimes/native/orchestrator';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import type { Json } from '../../../../lib/model/json';
import type { Workflow } from '../../../../lib/model/workflow';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

export async function setUp(workflow: Workflow) {
  const store = new MemoryRunStore();
  const invoker = new RecordingInvoker();
  const doc: WorkflowDoc = { type: 'workflow', name: workflow.name, definition: workflow, trigger: `whiskflow-${workflow.name}`, selfReporting: [], deployedAt: 0 };
  await store.upsert(docIds.workflow(workflow.name), doc);
  const ctx: OrchestratorContext = { store, invoker, namespace: 'guest', activationId: 'orchestrator-1' };
  const start = (input: Json, runId = 'run-1') => handleEvent(ctx, { type: 'run.started', eventId: 'e0', workflow: workflow.name, runId, input });
  const complete = (task: TaskStart, result: Json): Promise<unknown> =>
    handleEvent(ctx, { type: 'task.completed', eventId: `c-${task.context.index}`, task: task.context, result, activationId: `done-${task.context.position}-${task.context.index}` });
  const fail = (task: TaskStart, error: Json): Promise<unknown> =>
    handleEvent(ctx, { type: 'task.failed', eventId: `f-${task.context.index}`, task: task.context, error, activationId: `failed-${task.context.position}-${task.context.index}-${task.context.attempt}` });
  const run = async (runId = 'run-1') => (await store.get<RunHead>(docIds.run(runId)))!;
  /** What the timer action fires when an attempt outlives its timeout. */
  const timeOut = (task: TaskStart, timeoutMs = 5000): Promise<unknown> =>
    handleEvent(ctx, { type: 'task.timed-out', eventId: `t-${task.context.index}`, task: task.context, timeoutMs });
  return { store, invoker, ctx, start, complete, fail, timeOut, run };
}
