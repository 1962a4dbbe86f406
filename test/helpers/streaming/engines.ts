/** Engines wired to an in-memory broker and store, as one test's world. */
import type { EventStream } from '../../../lib/runtimes/streaming/brokers';
import { startStreamingEngines, WorkflowCatalog, type StreamingEngines, type StreamTaskInvoker, type StreamTrigger } from '../../../lib/runtimes/streaming';
import type { Workflow } from '../../../lib/model/workflow';
import { docIds, type RunDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { IN_MEMORY, until } from '../until';

export async function engines(args: {
  stream: EventStream;
  store: RunStore;
  platform: StreamTaskInvoker;
  workflows: Workflow[];
  consumer: string;
  triggers?: StreamTrigger[];
  topics?: { completions: string; orchestration: string };
  /** How often due timers are checked; a huge value makes a process that never fires its timers. */
  timerResolutionMs?: number;
  /** The deployment's event key: completions must carry their attempt's token. */
  eventKey?: string;
}): Promise<StreamingEngines> {
  return startStreamingEngines({
    stream: args.stream,
    store: args.store,
    invoker: args.platform,
    workflows: new WorkflowCatalog(args.workflows),
    consumer: args.consumer,
    ...(args.triggers ? { triggers: args.triggers } : {}),
    ...(args.topics ? { topics: args.topics } : {}),
    ...(args.eventKey ? { eventKey: args.eventKey } : {}),
    // WHISKFLOW_TEST_ENGINE_LOG=1 prints what the engines warn about (for debugging a scenario).
    ...(process.env.WHISKFLOW_TEST_ENGINE_LOG ? { logger: consoleLogger(args.consumer) } : {}),
    condition: { timerResolutionMs: args.timerResolutionMs ?? 10 },
    rule: { pollIntervalMs: 10 },
  });
}

/** The run head once the run has ended. */
export async function finishedRun(store: RunStore, runId: string): Promise<RunDoc> {
  let head: RunDoc | undefined;
  await until('the run has ended', async () => {
    head = await store.get<RunDoc>(docIds.run(runId));
    return head !== undefined && head.status !== 'running';
  }, IN_MEMORY);
  return head as RunDoc;
}

function consoleLogger(name: string) {
  const print = (level: string) => (context: Record<string, unknown>, message: string) => console.log(`[${name}] ${level} ${message} ${JSON.stringify(context)}`);
  return { info: print('info'), warn: print('warn'), error: print('error') };
}
