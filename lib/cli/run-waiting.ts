/**
 * What a running run waits on, for `whiskflow status` and `whiskflow logs`: a native run's open task
 * attempts, event waits, callback tokens and wait-stage timers (run-waits.ts); a streaming run's open
 * event waits and its wait stages' timers as last checkpointed (its tasks are the engine's to show).
 */
import { parseTaskKey } from '../events/task-key';
import type { RunView } from '../runs/run-view';
import { waitsOf, type RunWait } from '../runtimes/native/run-waits';
import { contextDocId, type StreamRunContext } from '../runtimes/streaming/run-context';
import { describeWait, eventsOfRun } from '../store/event-mailbox';
import type { RunStore } from '../store/run-store';

export interface RunWaiting {
  waits: RunWait[];
  /** Open tasks of the current stage beyond those listed. */
  more: number;
}

/** Undefined when the run no longer runs. */
export async function waitingOf(store: RunStore, view: RunView, client: Parameters<typeof waitsOf>[2]): Promise<RunWaiting | undefined> {
  if (view.run.status !== 'running') return undefined;
  const streaming = (view.run as { engine?: string }).engine === 'stream';
  return streaming ? openStreamWaits(store, view.run.runId) : waitsOf(store, view.run, client);
}

async function openStreamWaits(store: RunStore, runId: string): Promise<RunWaiting> {
  const [events, context] = await Promise.all([eventsOfRun(store, runId), store.get<StreamRunContext>(contextDocId(runId))]);
  const waits = events.filter((entry) => !entry.received).map(({ wait }): RunWait => ({ what: describeWait(wait), since: wait.since }));
  for (const timer of Object.values(context?.timers ?? {})) {
    if (!timer.id.startsWith('wake:')) continue;
    const stageId = parseTaskKey(timer.id.slice('wake:'.length)).stageId;
    waits.push({ what: `stage ${stageId}: a timer, due ${timer.due}`, since: Date.parse(context?.state.updatedAt ?? timer.due) });
  }
  return { waits, more: 0 };
}

/** The lines a person reads. */
export function waitingLines(waiting: RunWaiting): string[] {
  const lines = waiting.waits.map((wait) => `waiting on ${wait.what}, since ${new Date(wait.since).toISOString()}`);
  if (waiting.more > 0) lines.push(`waiting on ${waiting.more} more task(s) of this stage`);
  return lines;
}
