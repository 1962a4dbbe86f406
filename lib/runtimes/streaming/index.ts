/**
 * Entry point of the streaming interpreter: both engines in one process (what `whiskflow engine`
 * runs), or each on its own. Everything else in this room is reachable from here.
 */
import type { RunStore } from '../../store/run-store';
import type { EventStream } from './brokers';
import { ConditionEngine, type ConditionEngineOptions } from './condition-engine';
import type { EngineLogger } from './logger';
import { EventReceiver } from './event-receiver';
import { RuleEngine, type RuleEngineOptions } from './rule-engine';
import type { StreamTaskInvoker } from './task-invoker';
import type { StreamTopics } from './topics';
import type { StreamTrigger } from './triggers';
import type { WorkflowSource } from './workflow-source';

export { ConditionEngine } from './condition-engine';
export { RuleEngine } from './rule-engine';
export { EventReceiver, externalEventOfCloudEvent } from './event-receiver';
export { MemoryBroker, MemoryEventStream } from './memory-event-stream';
export { OpenWhiskStreamInvoker, type StreamTaskInvoker } from './task-invoker';
export { WorkflowCatalog, type WorkflowSource } from './workflow-source';
export { startStreamRun } from './start-run';
export { cancelStreamRun } from './cancel-run';
export { reportToStream, streamTaskOf, STREAM_TASK_PARAM, STREAM_URL_PARAM } from './report';
export { DEFAULT_GROUPS, DEFAULT_TOPICS, type StreamTopics } from './topics';
export type { StreamTrigger } from './triggers';

export interface StreamingEnginesOptions {
  stream: EventStream;
  store: RunStore;
  workflows: WorkflowSource;
  invoker: StreamTaskInvoker;
  topics?: StreamTopics;
  triggers?: readonly StreamTrigger[];
  /** Names this process in both consumer groups. */
  consumer?: string;
  logger?: EngineLogger;
  selfReporting?: RuleEngineOptions['selfReporting'];
  onRunFinished?: RuleEngineOptions['onRunFinished'];
  condition?: Partial<ConditionEngineOptions>;
  rule?: Partial<RuleEngineOptions>;
  /** The deployment's event key (lib/events/event-seal.ts): both engines use it, so that completions are signed and checked. */
  eventKey?: string;
}

export interface StreamingEngines {
  condition: ConditionEngine;
  rule: RuleEngine;
  /** Takes external events produced to the events topic to the runs' event stages. */
  receiver: EventReceiver;
  /** Stops all three (each after its batch in progress); the stream stays open, it is the caller's. */
  stop(): Promise<void>;
}

export async function startStreamingEngines(options: StreamingEnginesOptions): Promise<StreamingEngines> {
  const shared = {
    stream: options.stream,
    store: options.store,
    ...(options.topics ? { topics: options.topics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.eventKey ? { eventKey: options.eventKey } : {}),
  };
  const condition = new ConditionEngine({
    ...shared,
    workflows: options.workflows,
    ...(options.triggers ? { triggers: options.triggers } : {}),
    ...(options.consumer ? { consumer: `${options.consumer}-condition` } : {}),
    ...options.condition,
  });
  const rule = new RuleEngine({
    ...shared,
    invoker: options.invoker,
    ...(options.selfReporting ? { selfReporting: options.selfReporting } : {}),
    ...(options.onRunFinished ? { onRunFinished: options.onRunFinished } : {}),
    ...(options.consumer ? { consumer: `${options.consumer}-rule` } : {}),
    ...options.rule,
  });
  const receiver = new EventReceiver({ ...shared, ...(options.consumer ? { consumer: `${options.consumer}-events` } : {}) });
  await options.store.ensureReady();
  await condition.start();
  try {
    await rule.start();
    await receiver.start();
  } catch (error) {
    await Promise.allSettled([rule.stop(), condition.stop()]);
    throw error;
  }
  return {
    condition,
    rule,
    receiver,
    async stop() {
      await Promise.allSettled([receiver.stop(), rule.stop(), condition.stop()]);
    },
  };
}
