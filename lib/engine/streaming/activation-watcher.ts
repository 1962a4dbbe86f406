/**
 * Completion of unmodified actions: the Rule Engine invokes them non-blocking and then watches the
 * activation by id until the platform has its record, turns the record into `task.completed` or
 * `task.failed` (lib/events/activation.ts, the same reading the native engine uses) and produces it
 * to the run's completion topic. The event id is derived from the task key, so if two engines both
 * watch an activation (one resumed after a restart), the Condition Engine applies its outcome once.
 */
import { ensureError } from '../../errors';
import { taskEventFromActivation } from '../../events/activation';
import { toStructuredJson } from '../../events/cloudevent';
import type { EventStream } from './brokers';
import type { InvokeClaim, InvokeClaims } from './invoke-claims';
import type { EngineLogger } from './logger';
import type { StreamTaskInvoker } from './task-invoker';

type Watched = Pick<InvokeClaim, 'runId' | 'taskKey' | 'completionTopic'> & { activationId: string };

export class ActivationWatcher {
  private readonly watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly invoker: StreamTaskInvoker,
    private readonly stream: EventStream,
    private readonly claims: InvokeClaims,
    private readonly logger: EngineLogger,
    private readonly options: { pollIntervalMs: number; concurrency: number },
  ) {}

  watch(task: Watched): void {
    this.watched.set(task.activationId, task);
  }

  size(): number {
    return this.watched.size;
  }

  start(): void {
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.pollOnce().catch((error: unknown) => this.logger.warn({ err: ensureError(error).message }, 'activation poll failed')).finally(() => {
          if (this.timer) loop();
        });
      }, this.options.pollIntervalMs);
    };
    loop();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reads every watched activation once and reports the finished ones. */
  async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const pending = [...this.watched.values()];
      for (let start = 0; start < pending.length; start += this.options.concurrency) {
        await Promise.all(pending.slice(start, start + this.options.concurrency).map((task) => this.check(task)));
      }
    } finally {
      this.polling = false;
    }
  }

  private async check(task: Watched): Promise<void> {
    let record;
    try {
      record = await this.invoker.activation(task.activationId);
    } catch (error) {
      this.logger.warn({ activationId: task.activationId, err: ensureError(error).message }, 'could not read activation; will try again');
      return;
    }
    if (!record) return;
    const event = taskEventFromActivation(task.runId, task.taskKey, record);
    await this.stream.produce(task.completionTopic, task.runId, [toStructuredJson(event)]);
    this.watched.delete(task.activationId);
    await this.claims.reported(task.runId, task.taskKey);
  }
}
