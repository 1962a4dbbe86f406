/**
 * The actions a workflow names, as the platform knows them: which are missing (a task of a missing
 * action fails its attempt with `whiskflow.ActionNotFound`), and which report for themselves
 * (annotation `whiskflow-report: self`, see lib/report).
 */
import { hasErrorCode } from '../errors';
import type { Workflow } from '../model/workflow';
import type { ManagementClient } from '../openwhisk/client';
import { statusOf } from '../openwhisk/status';
import { retry } from './calls';

/** Names of the actions a workflow invokes, as written in the workflow. */
export function actionsOf(workflow: Workflow): string[] {
  const names = new Set<string>();
  const visit = (stages: Workflow['stages']) => stages.forEach((stage) => {
    if ('action' in stage) names.add(stage.action);
    if (stage.kind === 'parallel') stage.branches.forEach((branch) => visit(branch.stages));
  });
  visit(workflow.stages);
  return [...names];
}

/** The actions `workflow` names that the platform does not know (`whiskflow deploy` refuses them unless told otherwise). */
export async function missingActionsOf(client: ManagementClient, workflow: Workflow): Promise<string[]> {
  return (await inspectActions(client, actionsOf(workflow))).missing;
}

/** Which of the workflow's actions report for themselves (annotation `whiskflow-report: self`), and which are missing. */
export async function inspectActions(client: ManagementClient, actions: string[]): Promise<{ selfReporting: string[]; missing: string[] }> {
  const selfReporting: string[] = [];
  const missing: string[] = [];
  for (const name of actions) {
    try {
      const action = await retry(`get action ${name}`, () => client.actions.get({ name }));
      if (action.annotations?.some((a) => a.key === 'whiskflow-report' && a.value === 'self')) selfReporting.push(name);
    } catch (error) {
      // Not deployed yet: the user may deploy their actions after the workflow (reported as missing).
      if (statusOf(error) !== 404 && !hasErrorCode(error, 'ENTITY_NOT_FOUND')) throw error;
      missing.push(name);
    }
  }
  return { selfReporting, missing };
}
