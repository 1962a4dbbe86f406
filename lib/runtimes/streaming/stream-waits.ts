/**
 * The streaming engine's event stages and callback tasks. The Condition Engine turns an `await-event`
 * effect into a `task.invoke` of the pseudo action AWAIT_ACTION, so that the Rule Engine's claim
 * (`stream-invoke/<run>/<taskKey>`, create-only) registers each wait once; registering it in the
 * store's mailbox (lib/store/event-mailbox.ts, shared with the native runtime) and receiving an
 * external event both resume the wait by producing its `task.completed` (lib/core/await.ts) to the
 * run's completion topic, where the transition applies the first and ignores any other.
 */
import { eventDelivered } from '../../core/await';
import type { ExternalEvent } from '../../core/correlation';
import type { AwaitEventEffect } from '../../core/effects';
import { toStructuredJson } from '../../events/cloudevent';
import { parseTaskKey } from '../../events/task-key';
import type { JsonObject } from '../../model/json';
import type { CompiledWorkflow } from '../../model/compile';
import { WhiskflowError } from '../../errors';
import { eventDocIds, receiveEvent, registerWait, type ConsumedDoc, type Received, type WaitRef, type WaitResumer } from '../../store/event-mailbox';
import { docIds, type RunDoc } from '../../store/run-documents';
import type { RunStore } from '../../store/run-store';
import { taskInvoke, type TaskInvokeEvent } from './orchestration-events';
import type { StreamTaskContext } from './report';
import { encodeCallbackToken } from '../../events/callback-token';
import { taskKeyToken } from '../../events/event-seal';
import { withToken } from './report';

/** Not an OpenWhisk action (`:` cannot occur in one): the wait of an event stage. */
export const AWAIT_ACTION = 'whiskflow:await';

export function awaitInvoke(workflow: CompiledWorkflow, effect: AwaitEventEffect, time: string, completionTopic: string): TaskInvokeEvent {
  const params: JsonObject = { workflow: workflow.name, eventType: effect.eventType, key: effect.key, position: waitPosition(workflow, effect.stageId, effect.seq) };
  if (effect.timeoutMs !== undefined) params.timeoutMs = effect.timeoutMs;
  return taskInvoke({ runId: effect.runId, stageId: effect.stageId, taskKey: effect.taskKey, action: AWAIT_ACTION, params, completionTopic, time });
}

/**
 * The mailbox names a run's waits by a number unique within the run (native: its transition's
 * position). A streaming run has no such counter, and a stage's visit (`seq`) alone is not unique:
 * two event stages each on their first visit would share a waiter, and one event would resume
 * both. Stage ids are unique across a workflow, so visit × stage count + the stage's rank among
 * the sorted ids numbers every (stage, visit) of the run once.
 */
export function waitPosition(workflow: CompiledWorkflow, stageId: string, seq: number): number {
  const ids = Object.keys(workflow.steps).sort();
  const rank = ids.indexOf(stageId);
  if (rank < 0) throw new WhiskflowError('INVALID_INPUT', `event stage ${stageId} is not a stage of workflow ${workflow.name}`, { stageId, workflow: workflow.name });
  return (seq - 1) * ids.length + rank + 1;
}

/** Produces one event (structured JSON) to a topic, keyed by run id. */
export type Produce = (topic: string, key: string, event: JsonObject) => Promise<void>;

/**
 * Whether a wait still waits, as far as the store tells (the run's state is the Condition Engine's):
 * its run is running, no other event went to it, and its timeout has not passed. A closed wait
 * leaves the event kept for a later wait (as the native runtime does). Resuming stays exactly-once
 * without this: the transition ignores a completion of a slot already filled.
 */
export async function isStreamWaitOpen(store: RunStore, wait: WaitRef, now = Date.now()): Promise<boolean> {
  if (wait.deadline !== undefined && now >= wait.deadline) return false;
  const head = await store.get<RunDoc>(docIds.run(wait.runId));
  if (head && head.status !== 'running') return false;
  const consumed = await store.listByPrefix<ConsumedDoc>(eventDocIds.consumedPrefix(wait), { includeDocs: true });
  return !consumed.some((row) => row.doc?.runId === wait.runId && row.doc.position === wait.position);
}

function resumer(store: RunStore, completionTopic: string, produce: Produce): WaitResumer {
  return {
    isOpen: (wait) => isStreamWaitOpen(store, wait),
    resume: async (wait, event) => {
      const taskKey = wait.taskKey ?? '';
      await produce(completionTopic, wait.runId, withToken(toStructuredJson(eventDelivered(wait.runId, taskKey, event)), wait.token));
    },
  };
}

/** The Rule Engine won the claim of an await: register the wait, take an event kept for it. */
export async function registerStreamWait(store: RunStore, { data }: TaskInvokeEvent, produce: Produce, now = Date.now(), eventKey?: string): Promise<void> {
  const timeoutMs = typeof data.params.timeoutMs === 'number' ? data.params.timeoutMs : undefined;
  const wait: WaitRef = {
    workflow: String(data.params.workflow), eventType: String(data.params.eventType), key: String(data.params.key),
    runId: data.runId,
    // An invoke produced before waits carried their position named the wait by its visit.
    position: typeof data.params.position === 'number' ? data.params.position : parseTaskKey(data.taskKey).seq, stageId: data.stageId, taskKey: data.taskKey, since: now,
    ...(timeoutMs !== undefined ? { deadline: now + timeoutMs } : {}),
    ...(eventKey ? { token: taskKeyToken(eventKey, data.runId, data.taskKey) } : {}),
  };
  await registerWait(store, wait, resumer(store, data.completionTopic, produce), now);
}

/** An external event for `workflow` (produced to the stream, or sent): kept, and delivered if a run waits. */
export async function receiveStreamEvent(store: RunStore, workflow: string, event: ExternalEvent, completionTopic: string, produce: Produce, via: string): Promise<Received> {
  return receiveEvent(store, workflow, event, resumer(store, completionTopic, produce), via);
}

/** A streaming callback task's token: its task context (with the attempt's MAC) for `whiskflow complete`. */
export function streamCallbackToken(task: StreamTaskContext, workflow: string): string {
  return encodeCallbackToken({ model: 'streaming', runId: task.runId, taskKey: task.taskKey, workflow, mac: task.token ?? '', completionTopic: task.completionTopic });
}
