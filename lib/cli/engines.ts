/**
 * The streaming engines as the commands run them (`whiskflow engine`, `whiskflow local --stream`):
 * on a stream opened from a URL, invoking through OpenWhisk, with the workflows given on the command
 * line plus those deployed in the store. Unlike `startStreamingEngines`, the stream is this module's:
 * it is opened here and closed here, also when the engines fail to start.
 */
import { loadEventKey } from '../store/event-key';
import { OpenWhiskStreamInvoker, WorkflowCatalog, startStreamingEngines, type StreamingEngines, type StreamingEnginesOptions } from '../runtimes/streaming';
import type { EventStream } from '../runtimes/streaming/brokers';
import { createEventStream } from '../runtimes/streaming/stream-connection';
import type { StreamTasksClient } from '../openwhisk/client';
import type { Workflow } from '../model/workflow';

export interface EnginesOnStreamOptions extends Omit<StreamingEnginesOptions, 'stream' | 'workflows' | 'invoker'> {
  /** kafka://…, redis://… or memory://… */
  streamUrl: string;
  /** The OpenWhisk API the Rule Engine invokes the tasks' actions on. */
  openwhisk: StreamTasksClient;
  /** Workflows given on the command line; deployed ones are read from the store when a run needs them. */
  workflows?: readonly Workflow[];
}

export interface EnginesOnStream {
  /** Open until {@link stop}: the commands also produce to it (`whiskflow engine --run`). */
  readonly stream: EventStream;
  readonly engines: StreamingEngines;
  /** Stops the engines (each after its batch in progress), then closes the stream. */
  stop(): Promise<void>;
}

export async function startEnginesOnStream(options: EnginesOnStreamOptions): Promise<EnginesOnStream> {
  const { streamUrl, openwhisk, workflows = [], ...engineOptions } = options;
  const stream = createEventStream(streamUrl, options.logger ? { logger: options.logger } : {});
  let engines: StreamingEngines;
  try {
    // Read before the engines start: completions are signed and checked from the first one on.
    await options.store.ensureReady();
    const eventKey = await loadEventKey(options.store);
    engines = await startStreamingEngines({
      ...engineOptions,
      eventKey,
      stream,
      workflows: new WorkflowCatalog(workflows, options.store),
      invoker: new OpenWhiskStreamInvoker(openwhisk),
    });
  } catch (error) {
    // An open stream's broker connections would keep the process alive after the command failed;
    // a failure to close is secondary, the start failure is the one to report.
    await stream.close().catch(() => undefined);
    throw error;
  }
  return {
    stream,
    engines,
    async stop() {
      // Also after a failed stop: the broker connections would otherwise outlive the command.
      try {
        await engines.stop();
      } finally {
        await stream.close();
      }
    },
  };
}
