/**
 * The Event Receiver: consumes the events topic, where any producer writes external events for
 * the runs' event stages as structured CloudEvents (JSON), and hands each to the store's mailbox
 * (stream-waits.ts): kept, and delivered to the run that waits for it, if one does. An event must
 * name its workflow (the `workflow` extension attribute) and carry a correlation key (`key`
 * extension attribute, else `subject`); one that matches no run stays kept and is listed by
 * `whiskflow events`. A malformed one can never become valid: it is logged and skipped.
 *
 * At-least-once: a batch is acknowledged once every event in it is kept (and delivered); a
 * redelivery is a duplicate of the same CloudEvent id, which the mailbox recognises.
 */
import { hostname } from 'node:os';
import { ensureError } from '../../errors';
import { keyOfCloudEvent, type ExternalEvent } from '../../core/correlation';
import type { Json } from '../../model/json';
import type { RunStore } from '../../store/run-store';
import type { EventBatch, EventStream, Subscription } from './brokers';
import { silentLogger, type EngineLogger } from './logger';
import { receiveStreamEvent } from './stream-waits';
import { DEFAULT_GROUPS, DEFAULT_TOPICS, type StreamTopics } from './topics';

export interface EventReceiverOptions {
  stream: EventStream;
  store: RunStore;
  topics?: StreamTopics;
  /** @default 'whiskflow-event-receiver' */
  group?: string;
  /** @default `<host>-<pid>-events` */
  consumer?: string;
  logger?: EngineLogger;
}

/** The workflow and the event an incoming CloudEvent carries, or why it cannot be taken. */
export function externalEventOfCloudEvent(raw: unknown, now = new Date()): { workflow: string; event: ExternalEvent } | { invalid: string } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { invalid: 'not a JSON object' };
  const cloudEvent = raw as Record<string, unknown>;
  if (cloudEvent.specversion !== '1.0') return { invalid: 'not a CloudEvent 1.0 (specversion)' };
  const { id, type, workflow, time, source } = cloudEvent;
  if (typeof id !== 'string' || id === '') return { invalid: 'no id' };
  if (typeof type !== 'string' || type === '') return { invalid: 'no type' };
  if (typeof workflow !== 'string' || workflow === '') return { invalid: 'no workflow extension attribute naming the workflow' };
  const key = keyOfCloudEvent(cloudEvent);
  if (key === undefined) return { invalid: 'no correlation key (key extension attribute or subject)' };
  const event: ExternalEvent = {
    id, type, key, data: (cloudEvent.data ?? null) as Json,
    time: typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? time : now.toISOString(),
    ...(typeof source === 'string' ? { source } : {}),
  };
  return { workflow, event };
}

export class EventReceiver {
  private readonly topics: StreamTopics;
  private readonly logger: EngineLogger;
  private subscription: Subscription | undefined;
  readonly stats = { received: 0, delivered: 0, kept: 0, duplicates: 0, invalid: 0 };

  constructor(private readonly options: EventReceiverOptions) {
    this.topics = options.topics ?? DEFAULT_TOPICS;
    this.logger = options.logger ?? silentLogger;
  }

  async start(): Promise<void> {
    this.subscription = await this.options.stream.subscribe({
      topic: this.topics.events ?? DEFAULT_TOPICS.events,
      group: this.options.group ?? DEFAULT_GROUPS.eventReceiver,
      consumer: this.options.consumer ?? `${hostname()}-${process.pid}-events`,
      handler: (batch) => this.handleBatch(batch),
      onError: (error) => this.logger.warn({ err: error.message }, 'event receiver batch will be delivered again'),
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }

  private async handleBatch(batch: EventBatch): Promise<void> {
    for (const delivered of batch.events) {
      this.stats.received += 1;
      const parsed = externalEventOfCloudEvent(delivered.event);
      if ('invalid' in parsed) {
        this.stats.invalid += 1;
        this.logger.warn({ id: delivered.id, reason: parsed.invalid }, 'skipping an event that is not an external event for a workflow');
        continue;
      }
      try {
        // In order: two events for one correlation are kept (and taken) in the order produced.
        const received = await receiveStreamEvent(this.options.store, parsed.workflow, parsed.event, this.topics.completions,
          (topic, key, event) => this.options.stream.produce(topic, key, [event]), 'stream');
        if (received.outcome === 'delivered') this.stats.delivered += 1;
        else if (received.outcome === 'kept') this.stats.kept += 1;
        else this.stats.duplicates += 1;
      } catch (error) {
        this.logger.warn({ id: parsed.event.id, err: ensureError(error).message }, 'event not kept yet; the batch will be delivered again');
        throw error;
      }
    }
  }
}
