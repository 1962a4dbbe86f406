/** A TaskInvoker that records what the orchestrator starts, so tests can complete tasks at will. */
import type { TaskContext } from '../../../lib/runtimes/native/events';
import type { TaskInvoker, TaskStart } from '../../../lib/runtimes/native/invoker';

export class RecordingInvoker implements TaskInvoker {
  readonly starts: TaskStart[] = [];
  readonly timeouts: { context: TaskContext; timeoutMs: number }[] = [];
  private next = 0;

  async start(task: TaskStart): Promise<string> {
    this.starts.push(task);
    return `act-${++this.next}`;
  }

  async scheduleTimeout(context: TaskContext, timeoutMs: number): Promise<string> {
    this.timeouts.push({ context, timeoutMs });
    return `timer-${++this.next}`;
  }

  /** Starts of one stage sequence number, in start order. */
  ofPosition(position: number): TaskStart[] {
    return this.starts.filter((start) => start.context.position === position);
  }
}
