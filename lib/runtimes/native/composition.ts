/**
 * Continuing the composition: the task conductor that applies a completion runs the next task
 * itself, as a composer conductor chains its components, instead of a non-blocking invoke of a new
 * task conductor. It returns `{ action, params, state }` for the next task (actions/task.ts), so
 * the next user action runs inside the same composition with no new invocation, no new conductor
 * activation of its own and nothing counted against the namespace's invocation rate.
 *
 * The start stays claimed exactly as an invoke: the attempt's `invoke/...` claim is created first,
 * and only its winner gets here. The claim records this conductor run's own activation id, whose
 * record names the composition (`cause`) that then runs the task as the component after it; the
 * sweep reads the attempt's outcome there (sweep.ts, activation-outcomes.ts). That id is known
 * before the claim exists, so the claim is created with it (`reserve`, called as the claim is
 * drafted): no write of the id follows, which takes a store request off every continued task. The
 * attempt reserved is then the only one this run continues with.
 *
 * OpenWhisk caps a composition at `actionSequenceLimit` components (50 by default; apache/openwhisk
 * PrimitiveActions: `components >= actionSequenceLimit` ends it "too long", and at most 2n+1
 * conductor runs); the conductor counts its components in its state and, at the cap, hands over
 * with one non-blocking invoke of a new conductor, so a run longer than a composition allows still
 * finishes.
 */
import type { TaskContext } from './events';
import { sameAttempt, withAttemptToken, type AttemptRef, type TaskInvoker, type TaskStart } from './invoker';

/** Components of one composition (OpenWhisk's default `actionSequenceLimit`). */
export const COMPOSITION_COMPONENTS = 50;

/** What the conductor runs next within its composition: the task and its context as its attempt sees it. */
export interface Continuation {
  action: string;
  params: TaskStart['params'];
  context: TaskContext;
}

/**
 * Takes the first start that can run as the composition's next component (an action run through
 * the conductor, without a backoff delay) while the composition has a component left; every other
 * start is invoked as before.
 */
export class ChainingInvoker implements TaskInvoker {
  private taken: Continuation | undefined;
  private reserved: AttemptRef | undefined;

  /**
   * `ownActivationId`: this conductor run's, recorded on the continued attempt's claim;
   * `componentsRun`: the components its composition has run so far.
   */
  constructor(
    private readonly inner: TaskInvoker,
    private readonly ownActivationId: string,
    private readonly componentsRun: number,
    private readonly eventKey: string | undefined,
  ) {}

  /** The task this conductor continues with, once the completion is applied. */
  get continuation(): Continuation | undefined {
    return this.taken;
  }

  /** The attempt whose claim is created naming this run: the first one offered, while the composition has a component left. */
  reserve(attempt: AttemptRef): string | undefined {
    if (this.reserved || this.taken || this.componentsRun >= COMPOSITION_COMPONENTS) return undefined;
    this.reserved = { runId: attempt.runId, position: attempt.position, index: attempt.index, attempt: attempt.attempt };
    return this.ownActivationId;
  }

  async start(task: TaskStart): Promise<string> {
    // Once an attempt is reserved (its claim names this run), only that attempt is continued with.
    const chosen = this.reserved ? sameAttempt(this.reserved, task.context) : true;
    if (this.taken || !chosen || !canContinue(task, this.componentsRun)) return this.inner.start(task);
    this.taken = { action: task.action, params: task.params, context: withAttemptToken(task.context, this.eventKey) };
    return this.ownActivationId;
  }

  scheduleTimeout(context: TaskContext, timeoutMs: number): Promise<string> {
    return this.inner.scheduleTimeout(context, timeoutMs);
  }

  callbackTokenOf(context: TaskContext): string {
    return this.inner.callbackTokenOf?.(context) ?? '';
  }
}

/** Whether `task` can be the next component of a composition that has run `componentsRun`. */
export function canContinue(task: TaskStart, componentsRun: number): boolean {
  return componentsRun < COMPOSITION_COMPONENTS && !task.selfReporting && !task.callback && task.delayMs <= 0;
}
