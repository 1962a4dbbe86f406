/** Test-side consumers that record what they are given, and how long the broker tests wait for deliveries. */
import type { DeliveredEvent, EventBatch, EventStream, SubscribeOptions, Subscription } from '../../../../../lib/runtimes/streaming/brokers';
import type { UntilOptions } from '../../../../helpers/until';

/** The event body tests produce: a CloudEvent whose data says which run and which step it is. */
export interface TaskEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly data: { readonly run: string; readonly seq: number };
}

export function taskEvent(run: string, seq: number): TaskEvent {
  return { specversion: '1.0', id: `${run}/${seq}`, source: '/test', type: 'whiskflow.task.completed', data: { run, seq } };
}

export interface Recorded extends DeliveredEvent {
  readonly partition: number;
  readonly event: TaskEvent;
}

export interface RecordingConsumer {
  readonly subscription: Subscription;
  /** Every event the handler was given, redeliveries included, in delivery order. */
  readonly received: Recorded[];
  readonly errors: Error[];
}

export type BatchReaction = (batch: EventBatch) => Promise<void> | void;

export async function recordingConsumer(
  stream: EventStream,
  options: Omit<SubscribeOptions, 'handler' | 'onError'> & { react?: BatchReaction },
): Promise<RecordingConsumer> {
  const received: Recorded[] = [];
  const errors: Error[] = [];
  const { react, ...subscribeOptions } = options;
  const subscription = await stream.subscribe({
    ...subscribeOptions,
    onError: (error) => errors.push(error),
    handler: async (batch) => {
      for (const delivered of batch.events) {
        received.push({ ...delivered, partition: batch.partition, event: delivered.event as TaskEvent });
      }
      await react?.(batch);
    },
  });
  return { subscription, received, errors };
}

/** CloudEvent ids of what was received, without duplicates: what a deduping engine would see. */
export function distinctEventIds(received: readonly Recorded[]): Set<string> {
  return new Set(received.map((delivered) => delivered.event.id));
}

/**
 * How the broker tests wait for deliveries (with `until`): checked every 25 ms; the limit only turns
 * a hang into a readable failure naming what never happened, far above the time any step needs.
 */
export const DELIVERY_LIMITS: UntilOptions = { timeoutMs: 90_000, intervalMs: 25 };

/** Per run, the sequence numbers in the order they were first delivered. */
export function firstDeliveryOrderByRun(received: readonly Recorded[]): Map<string, number[]> {
  const seen = new Set<string>();
  const byRun = new Map<string, number[]>();
  for (const delivered of received) {
    if (seen.has(delivered.event.id)) continue;
    seen.add(delivered.event.id);
    const sequence = byRun.get(delivered.event.data.run) ?? [];
    sequence.push(delivered.event.data.seq);
    byRun.set(delivered.event.data.run, sequence);
  }
  return byRun;
}
