/**
 * An action annotated `final: true` fixes its defined parameters (its own and those it inherits from
 * its package or binding): an invocation may not override them. The controller checks this on every
 * invoke (its immutableParameters check answers 400), and a rule's invoke for a trigger fire goes
 * through the same path (Triggers.scala posts to the controller's own invoke API), so a fire whose
 * payload names such a parameter does not start the action: the rule's log line says why.
 */
import { badRequest } from './api-error';
import { annotationValue, isTruthy, paramsToObject } from './entities';
import { Messages } from './messages';
import type { ResolvedAction } from './resolver';

export function checkFinalParameters(target: ResolvedAction, payload: Record<string, unknown>): void {
  if (!isTruthy(annotationValue(target.action.annotations, 'final'))) return;
  const fixed = { ...target.inherited, ...paramsToObject(target.action.parameters) };
  const overridden = Object.keys(payload).filter((key) => fixed[key] !== undefined && fixed[key] !== null);
  if (overridden.length > 0) throw badRequest(Messages.parametersNotAllowed, { parameters: overridden });
}
