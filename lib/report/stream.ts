/**
 * The streaming transport of a task's outcome: produce it to the run's completion topic, as the
 * Rule Engine would after reading the activation. The stream URL may hold a password, so it is never
 * in the task context: it is bound to the action (`__whiskflow_stream_url`) or set in its runtime
 * (WHISKFLOW_STREAM_URL).
 */
import { InvalidInputError } from '../errors';
import { taskErrorFromResult } from '../events/activation';
import type { Json } from '../model/json';
import { createEventStream, type EventStream } from '../runtimes/streaming/brokers';
import { reportToStream, STREAM_URL_PARAM, type StreamTaskContext } from '../runtimes/streaming/report';

export interface StreamReportOptions {
  /** Opens the stream at `url`; defaults to the broker client the URL names (Kafka, Redis). */
  connect?: (url: string) => EventStream;
  /** Activation reporting the outcome; defaults to `__OW_ACTIVATION_ID`. */
  activationId?: string;
}

export async function produceTaskOutcome(task: StreamTaskContext, outcome: { result: Json } | { error: Json }, urlParam: unknown, options: StreamReportOptions = {}): Promise<void> {
  const url = typeof urlParam === 'string' && urlParam !== '' ? urlParam : process.env.WHISKFLOW_STREAM_URL;
  if (!url) throw new InvalidInputError(`a self-reporting action needs the stream URL: bind ${STREAM_URL_PARAM} or set WHISKFLOW_STREAM_URL`, { taskKey: task.taskKey });
  // One error shape on the stream: an action's `{ error }` read as the Rule Engine reads it from an activation.
  const streamOutcome = 'result' in outcome ? { result: outcome.result } : { error: taskErrorFromResult({ error: outcome.error }) };
  const stream = (options.connect ?? ((at: string) => createEventStream(at)))(url);
  try {
    await reportToStream(stream, task, streamOutcome, options.activationId ?? process.env.__OW_ACTIVATION_ID);
  } finally {
    await stream.close();
  }
}
