/** Starting a run on the stream: produce its `run.started` to the completion topic, keyed by run id. */
import { runStarted } from '../../events/build';
import { toStructuredJson } from '../../events/cloudevent';
import type { Json } from '../../model/json';
import { newRunId } from '../../store/run-documents';
import type { EventStream } from './brokers';
import { DEFAULT_TOPICS } from './topics';

/** Resolves with the run id once the broker has stored the start (the run itself goes on without us). */
export async function startStreamRun(
  stream: EventStream,
  args: { workflow: string; input: Json; runId?: string; topic?: string; time?: string },
): Promise<string> {
  const runId = args.runId ?? newRunId();
  const event = runStarted({ runId, workflow: args.workflow, input: args.input, time: args.time ?? new Date().toISOString() });
  await stream.produce(args.topic ?? DEFAULT_TOPICS.completions, runId, [toStructuredJson(event)]);
  return runId;
}
