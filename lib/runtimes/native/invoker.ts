/**
 * How the orchestrator starts tasks and reports completions: the only place that talks to the
 * platform, through the `openwhisk` client exactly as on a real OpenWhisk.
 *
 * A task is started with a NON-BLOCKING invocation of the whiskflow task conductor
 * (`whiskflow/task`), which asks the platform to run the user's action and is re-activated with its
 * result to fire the completion event. Actions that report completion themselves (annotation
 * `whiskflow-report: self`, see lib/report) are invoked directly with the task context as
 * `__whiskflow` parameter.
 */
import type { JsonObject } from '../../model/json';
import type { TaskContext } from './events';
import { withThrottleRetry } from '../../openwhisk/throttle';
import type { ActionsClient } from '../../openwhisk/client';
import { ActionUnavailableError, refusalOf } from './action-check';
import { attemptToken } from '../../events/event-seal';
import { CALLBACK_TOKEN_PARAM, encodeCallbackToken } from '../../events/callback-token';

export const TASK_CONDUCTOR = 'whiskflow/task';
export const TIMER_ACTION = 'whiskflow/timer';
/** Parameter of the first conductor activation that carries the task; see actions/task.ts. */
export const TASK_PARAM = '__whiskflow_task';
/** Parameter under which self-reporting actions receive their task context. */
export const SELF_REPORT_PARAM = '__whiskflow';

export interface TaskStart {
  context: TaskContext;
  /** Fully qualified action name, `/namespace/[pkg/]name`. */
  action: string;
  params: JsonObject;
  /** Wait before running the action (retry backoff); the conductor waits, not the orchestrator. */
  delayMs: number;
  selfReporting: boolean;
  /** A callback task: invoked directly with its task context and callback token; its result is not its outcome. */
  callback?: boolean;
}

export interface TaskInvoker {
  /** Starts the task without waiting for it; resolves with the activation id the platform assigned. */
  start(task: TaskStart): Promise<string>;
  /** Arranges for a `task.timed-out` event for this attempt after `timeoutMs`. */
  scheduleTimeout(context: TaskContext, timeoutMs: number): Promise<string>;
  /** The callback token a callback task's attempt is handed (recorded on its claim for `whiskflow status`). */
  callbackTokenOf?(context: TaskContext): string;
  /**
   * For an invoker that runs a task itself (a task conductor continuing its composition,
   * composition.ts): reserves `attempt` before its claim is created and returns the activation id
   * that will run it, which then goes onto the claim in its create (no write of the id after the
   * start). Only attempts whose start does no I/O between that create and the start are offered
   * (task-starts.ts). At most one attempt per invoker; undefined when it runs none itself.
   */
  reserve?(attempt: AttemptRef): string | undefined;
}

/** Which attempt of which task: where its claim is stored. */
export interface AttemptRef { runId: string; position: number; index: number; attempt: number }

export const sameAttempt = (a: AttemptRef, b: AttemptRef): boolean =>
  a.runId === b.runId && a.position === b.position && a.index === b.index && a.attempt === b.attempt;

/** The context handed to whoever runs the attempt: with its token when the deployment has an event key. */
export function withAttemptToken(context: TaskContext, eventKey: string | undefined): TaskContext {
  return eventKey ? { ...context, token: attemptToken(eventKey, context) } : context;
}

export class OpenWhiskTaskInvoker implements TaskInvoker {
  /** `eventKey`: the deployment's event key; each attempt started gets its token (lib/events/event-seal.ts). */
  constructor(private readonly client: ActionsClient, private readonly deadline: () => number, private readonly eventKey?: string) {}

  async start(task: TaskStart): Promise<string> {
    const context = withAttemptToken(task.context, this.eventKey) as unknown as JsonObject;
    const invocation: { name: string; params: JsonObject } = task.callback
      ? { name: task.action, params: { ...task.params, [SELF_REPORT_PARAM]: context, [CALLBACK_TOKEN_PARAM]: this.callbackTokenOf(task.context) } }
      : task.selfReporting
      ? { name: task.action, params: { ...task.params, [SELF_REPORT_PARAM]: context } }
      : { name: TASK_CONDUCTOR, params: { [TASK_PARAM]: { context, action: task.action, params: task.params, delayMs: task.delayMs } as unknown as JsonObject } };
    try {
      const response = await withThrottleRetry(`invoke ${invocation.name}`, () => this.client.actions.invoke({ ...invocation, blocking: false }), { deadline: this.deadline() });
      return response.activationId;
    } catch (error) {
      // A self-reporting action the platform refuses would never report: its attempt fails now.
      const refusal = task.selfReporting || task.callback ? refusalOf(error, task.action) : undefined;
      throw refusal ? new ActionUnavailableError(refusal) : error;
    }
  }

  callbackTokenOf(context: TaskContext): string {
    return encodeCallbackToken({ model: 'native', context: withAttemptToken(context, this.eventKey) as unknown as JsonObject });
  }

  async scheduleTimeout(context: TaskContext, timeoutMs: number): Promise<string> {
    const response = await withThrottleRetry(`invoke ${TIMER_ACTION}`, () => this.client.actions.invoke({
      name: TIMER_ACTION, blocking: false, params: { [TASK_PARAM]: withAttemptToken(context, this.eventKey) as unknown as JsonObject, timeoutMs },
    }), { deadline: this.deadline() });
    return response.activationId;
  }
}
