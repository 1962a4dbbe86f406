/**
 * Delivering external events and callback outcomes from outside (CLI, HTTP endpoint, tests), to
 * either runtime: a native workflow's events are fired into its trigger as CloudEvents (the same
 * path `wsk trigger fire` takes, authenticated like a start by the trigger's seal); a streaming
 * workflow's go into the store's mailbox and resume a waiting run through its completion topic.
 */
import { randomUUID } from 'node:crypto';
import { EntityNotFoundError, WhiskflowError } from '../errors';
import type { ExternalEvent } from '../core/correlation';
import type { Json, JsonObject } from '../model/json';
import { deliverEvent } from '../openwhisk/deliver';
import type { DeliveryClient } from '../openwhisk/client';
import { workflowTrigger } from '../openwhisk/names';
import { completeCallback, heartbeatCallback, workflowOfToken } from '../report/callback';
import type { TaskOutcome } from '../report';
import { DEFAULT_TOPICS } from '../runtimes/streaming';
import { createEventStream } from '../runtimes/streaming/stream-connection';
import { receiveStreamEvent } from '../runtimes/streaming/stream-waits';
import { docIds, type WorkflowDoc } from '../store/run-documents';
import type { RunStore } from '../store/run-store';

export interface EventToSend {
  type: string;
  key: string;
  data: Json;
  /** CloudEvent id: sending the same id again is a duplicate. @default a fresh UUID */
  id?: string;
  /** @default '/whiskflow/send' */
  source?: string;
}

/** The structured CloudEvent fired into a workflow trigger for an event stage (`key` extension attribute). */
export function externalCloudEvent(event: EventToSend & { id: string }): JsonObject {
  return {
    specversion: '1.0', id: event.id, type: event.type, source: event.source ?? '/whiskflow/send', key: event.key,
    time: new Date().toISOString(), datacontenttype: 'application/json', data: event.data,
  };
}

export type SendOutcome =
  | { model: 'native'; eventId: string; triggerActivationId?: string }
  | { model: 'streaming'; eventId: string; outcome: string; runId?: string };

export async function sendEvent(target: { client: DeliveryClient; store: RunStore }, workflow: string, event: EventToSend, via = 'cli'): Promise<SendOutcome> {
  const id = event.id ?? randomUUID();
  const deployed = await target.store.get<WorkflowDoc>(docIds.workflow(workflow));
  if (deployed?.model === 'streaming') {
    if (!deployed.stream) throw new WhiskflowError('INVALID_INPUT', `streaming workflow ${workflow} names no stream: redeploy it with whiskflow engine`, { workflow });
    const stream = createEventStream(deployed.stream.url);
    try {
      const external: ExternalEvent = { id, type: event.type, key: event.key, data: event.data, time: new Date().toISOString(), ...(event.source ? { source: event.source } : {}) };
      const topic = `${deployed.stream.topicPrefix}${DEFAULT_TOPICS.completions}`;
      const received = await receiveStreamEvent(target.store, workflow, external, topic, (to, key, produced) => stream.produce(to, key, [produced]), via);
      return { model: 'streaming', eventId: id, outcome: received.outcome, ...('runId' in received && received.runId ? { runId: received.runId } : {}) };
    } finally {
      await stream.close();
    }
  }
  const trigger = deployed?.trigger ?? workflowTrigger(workflow);
  const fired = await deliverEvent(target.client, trigger, workflow, externalCloudEvent({ ...event, id }), Date.now() + 60_000);
  if (!fired.triggerActivationId) {
    throw new EntityNotFoundError('trigger', trigger);
  }
  return { model: 'native', eventId: id, triggerActivationId: fired.triggerActivationId };
}

/** Reports a callback task's outcome for its token (native: its trigger; streaming: its workflow's stream). */
export async function completeTask(target: { client: DeliveryClient; store: RunStore }, token: string, outcome: TaskOutcome): Promise<{ model: 'native' | 'streaming'; runId: string }> {
  const workflow = workflowOfToken(token);
  const deployed = await target.store.get<WorkflowDoc>(docIds.workflow(workflow));
  if (deployed?.model !== 'streaming' || !deployed.stream) return completeCallback(token, outcome, { client: target.client, deadline: Date.now() + 60_000 });
  const stream = createEventStream(deployed.stream.url);
  try {
    return await completeCallback(token, outcome, { stream });
  } finally {
    await stream.close();
  }
}

/** Reports a heartbeat of a callback task for its token (native: its workflow's trigger). */
export async function heartbeatTask(target: { client: DeliveryClient }, token: string): Promise<{ model: 'native'; runId: string }> {
  return heartbeatCallback(token, { client: target.client, deadline: Date.now() + 60_000 });
}
