/**
 * A self-reporting action (invoked by the orchestrator itself) that the platform refuses: its attempt
 * fails at once with the platform's error, and retry/catch apply (the conductor does the same for the
 * other actions: test/integration/runtimes/native/missing-action.test.ts).
 */
import { ActionUnavailableError, refusalOf } from '../../../../lib/runtimes/native/action-check';
import { handleEvent, type OrchestratorContext, type RunHead } from '../../../../lib/runtimes/native/orchestrator';
import type { TaskStart } from '../../../../lib/runtimes/native/invoker';
import { parseWorkflow } from '../../../../lib/model/parse';
import { MemoryRunStore } from '../../../../lib/store/memory';
import { docIds, type WorkflowDoc } from '../../../../lib/store/run-documents';
import { RecordingInvoker } from '../../../helpers/native/recording-invoker';

class RefusingInvoker extends RecordingInvoker {
  readonly refused: TaskStart[] = [];

  override async start(task: TaskStart): Promise<string> {
    if (task.action !== '/guest/gone') return super.start(task);
    this.refused.push(task);
    const notFound = Object.assign(new Error('404'), { statusCode: 404, error: { error: 'The requested resource does not exist.' } });
    throw new ActionUnavailableError(refusalOf(notFound, task.action)!);
  }
}

describe('a self-reporting action the platform refuses', () => {
  it('fails its attempts at once, retried as the policy says, then caught', async () => {
    const workflow = parseWorkflow(`
name: selfgone
stages:
  - { id: call, kind: task, action: gone, retry: { maxAttempts: 2, backoff: { initialMs: 1 } }, catch: [ { errors: [whiskflow.ActionNotFound], next: fallback } ] }
  - { id: fallback, kind: task, action: rescue }
`);
    const store = new MemoryRunStore();
    const invoker = new RefusingInvoker();
    const doc: WorkflowDoc = { type: 'workflow', name: workflow.name, definition: workflow, trigger: 'whiskflow-selfgone', selfReporting: ['gone'], deployedAt: 0 };
    await store.upsert(docIds.workflow(workflow.name), doc);
    const ctx: OrchestratorContext = { store, invoker, namespace: 'guest', activationId: 'orchestrator-1' };
    await handleEvent(ctx, { type: 'run.started', eventId: 'e0', workflow: workflow.name, runId: 'run-1', input: {} });

    expect(invoker.refused.map((task) => task.context.attempt)).toEqual([1, 2]);
    const rescue = invoker.starts.filter((task) => task.action === '/guest/rescue');
    expect(rescue).toHaveLength(1);
    expect(rescue[0]!.params).toMatchObject({ error: { error: 'whiskflow.ActionNotFound', stageId: 'call', activationId: 'orchestrator-1' } });
    expect((rescue[0]!.params.error as { cause: string }).cause).toContain('The requested resource does not exist.');
    const head = await store.get<RunHead>(docIds.run('run-1'));
    expect(head?.status).toBe('running');
  });
});
