/** What the native engine can run: checked at deploy so that a run never finds out halfway. */
import { InvalidWorkflowError } from '../errors';
import type { Workflow } from '../model/workflow';

/**
 * Parallel stages nested in branches deeper than this are refused. A branch of several stages runs
 * as a child run, whose end is reported to its parent inline (lib/runtimes/native/orchestrator.ts):
 * the last task of the innermost branch can end every enclosing run in one orchestrator activation,
 * which must fit its time limit, and each level makes the run ids longer.
 */
export const MAX_PARALLEL_NESTING = 8;

/** Throws `InvalidWorkflowError` naming the first stage the native engine cannot run. */
export function checkSupported(workflow: Workflow): void {
  const visit = (stages: Workflow['stages'], path: string, depth: number): void => stages.forEach((stage, index) => {
    if (stage.kind !== 'parallel') return;
    const stagePath = `${path}[${index}]`;
    if (depth > MAX_PARALLEL_NESTING) {
      throw new InvalidWorkflowError(stagePath, stage.id, `parallel stages nested at most ${MAX_PARALLEL_NESTING} deep`);
    }
    stage.branches.forEach((branch, branchIndex) => visit(branch.stages, `${stagePath}.branches[${branchIndex}].stages`, depth + 1));
  });
  visit(workflow.stages, '$.stages', 1);
}
