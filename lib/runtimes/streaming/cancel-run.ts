/**
 * Cancelling a streaming run: its `run.cancelled` goes to the completion topic, keyed by run id like
 * every event of the run, so the Condition Engine applies it in order with the run's completions.
 * The core's transition ends the run `cancelled` (lib/core/transition.ts): no task starts after it,
 * its pending retries and timers are dropped, and completions that arrive later change nothing.
 */
import { runCancelled } from '../../events/build';
import { toStructuredJson } from '../../events/cloudevent';
import type { EventStream } from './brokers';
import { DEFAULT_TOPICS } from './topics';

/** Resolves once the broker has stored the cancel; the engine applies it on its own time. */
export async function cancelStreamRun(stream: EventStream, args: { runId: string; reason: string; topic?: string; time?: string }): Promise<void> {
  const event = runCancelled({ runId: args.runId, reason: args.reason, time: args.time ?? new Date().toISOString() });
  await stream.produce(args.topic ?? DEFAULT_TOPICS.completions, args.runId, [toStructuredJson(event)]);
}
