/**
 * One workflow, two execution models, one local platform: the native orchestrator (trigger → rule →
 * whiskflow/orchestrator, state in the platform's CouchDB) and the streaming engines (Condition +
 * Rule Engine over Redis or Kafka, invoking the same actions through the `openwhisk` client, state in
 * the same CouchDB database). Runs of both models leave their records where `whiskflow status`,
 * `runs` and `logs` read them, so they can be compared record by record.
 */
import { randomUUID } from 'node:crypto';
import openwhisk from 'openwhisk';
import { createEventStream, type EventStream } from '../../lib/runtimes/streaming/brokers';
import { OpenWhiskStreamInvoker, startStreamRun, startStreamingEngines, WorkflowCatalog, type StreamingEngines, type StreamTopics } from '../../lib/runtimes/streaming';
import type { StreamTasksClient } from '../../lib/openwhisk/client';
import { requestRun, waitForRun } from '../../lib/runs/run-client';
import { describeRun } from '../../lib/runs/run-view';
import type { Json } from '../../lib/model/json';
import type { RunDoc } from '../../lib/store/run-documents';
import type { RunStore } from '../../lib/store/run-store';
import type { DeployedPlatform } from './deployed-platform';

export type Model = 'native' | 'redis' | 'kafka';

/** The streaming engines of one backend, on their own topics, sharing the platform's run store. */
export interface StreamingModel {
  stream: EventStream;
  engines: StreamingEngines;
  topics: StreamTopics;
  stop(): Promise<void>;
}

/** `topics`: by default private to this model (a fresh suffix), so models on one broker do not meet. */
export async function startStreamingModel(deployed: DeployedPlatform, url: string, name: string, topicsGiven?: StreamTopics): Promise<StreamingModel> {
  const stream = createEventStream(url, { partitions: 4 });
  const suffix = randomUUID().slice(0, 8);
  const topics = topicsGiven ?? { completions: `${name}-completions-${suffix}`, orchestration: `${name}-orchestration-${suffix}` };
  const { platform } = deployed;
  try {
    const engines = await startStreamingEngines({
      stream,
      store: deployed.store,
      topics,
      // Workflows come from the store, as `whiskflow deploy` left them: the same definition both models run.
      workflows: new WorkflowCatalog([], deployed.store),
      invoker: new OpenWhiskStreamInvoker(openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as StreamTasksClient),
      consumer: `${name}-${suffix}`,
      rule: { pollIntervalMs: 50 },
      condition: { timerResolutionMs: 20 },
    });
    return {
      stream, engines, topics,
      async stop() {
        await engines.stop();
        await stream.close();
      },
    };
  } catch (error) {
    await stream.close();
    throw error;
  }
}

/** Starts a run of a deployed workflow under one model and returns its final head. */
export async function runUnder(
  model: Model,
  deployed: DeployedPlatform,
  streaming: Partial<Record<Model, StreamingModel>>,
  workflow: string,
  input: Json,
  timeoutMs = 120_000,
): Promise<RunDoc> {
  let runId: string;
  if (model === 'native') {
    runId = (await requestRun(deployed.client, workflow, input)).runId;
  } else {
    const engines = streaming[model];
    if (!engines) throw new Error(`no streaming engines for ${model}`);
    runId = await startStreamRun(engines.stream, { workflow, input, topic: engines.topics.completions });
  }
  return waitForRun(deployed.store, runId, { timeoutMs, pollMs: 100 });
}

/**
 * What a user sees of a run through `whiskflow status` and `logs`, without what must differ between
 * two runs (ids, times, which engine): status, output, failure kind, and per stage its id, task
 * count, completed and failed tasks, and whether every task attempt names an activation.
 */
export async function comparableRecord(store: RunStore, head: RunDoc): Promise<Json> {
  const view = await describeRun(store, head.runId);
  if (!view) throw new Error(`run ${head.runId} has no record`);
  return {
    workflow: view.run.workflow,
    status: view.run.status,
    output: view.run.output ?? null,
    failure: view.run.failure ? { error: view.run.failure.error, stageId: view.run.failure.stageId ?? null } : null,
    ended: typeof view.run.endedAt === 'number' && view.run.endedAt >= view.run.startedAt,
    progress: view.progress,
    stages: view.stages.map((stage) => ({
      stageId: stage.stageId,
      taskCount: stage.taskCount,
      completed: stage.completed,
      failed: stage.failed,
      tasks: stage.tasks.length,
      everyAttemptHasAnActivation: stage.tasks.every((task) => task.attempts.length > 0 && task.attempts.every((attempt) => typeof attempt.activationId === 'string')),
      everyOutcomeHasAnActivation: stage.tasks.every((task) => typeof task.outcome?.activationId === 'string'),
    })),
  };
}
