/**
 * The conformance suite's yardstick: one driver interface over each runtime (the native
 * orchestrator, the streaming engines, and the bare core as the reference), and the loop that
 * plays a case through any of them with the same fake actions and the same delivery order.
 */
import type { Json, JsonObject } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { CALLBACK_TOKEN_PARAM } from '../../lib/events/callback-token';
import { seededRandom } from '../helpers/simulate';
import { performAction, type ActionOutcome } from './actions';

/** One task attempt a runtime started, as every runtime can tell it. */
export interface StartedTask {
  /** Unique per attempt within one runtime (its own key: native position/index, streaming task key). */
  id: string;
  /** The stage whose task this is (inside a branch: the branch's stage). */
  stageId: string;
  /** The action as written in the workflow (native's namespace qualification removed). */
  action: string;
  params: JsonObject;
  /** 1-based. */
  attempt: number;
  /** The attempt's task key (lib/events/task-key.ts), as its task events name it. */
  taskKey: string;
  /** A callback task: the action is handed a token and its own result does not end the task. */
  callback?: boolean;
}

/** An external event a case sends (a CloudEvent of `type` with correlation key `key`). */
export interface ScriptedEvent {
  id: string;
  type: string;
  key: string;
  data: Json;
  /**
   * `before-start`: before the run starts; `when-waiting`: once the run waits on an event and
   * nothing else is left; `after-end`: once the run has ended (before its pending events are read).
   */
  when: 'before-start' | 'when-waiting' | 'after-end';
}

/** What the driver tells a runtime about a started task. */
export type Delivery = { result: Json } | { error: Json } | 'timeout';

/** A run's failure as compared: the error name and stage; the cause is informative only. */
export interface RunFailureSeen {
  error: string;
  stageId?: string;
  cause?: string;
}

export type RunEnd =
  | { status: 'succeeded'; result: Json }
  | { status: 'failed'; error: RunFailureSeen }
  /** The runtime kept working without end (e.g. a loop without task): stopped by the driver's bound. */
  | { status: 'did-not-terminate'; detail: string }
  /** Nothing more happens and the run has not ended (e.g. a timeout that never fires). */
  | { status: 'stuck'; detail: string };

export interface Settled {
  /** Every task started so far, in the order the runtime started them. */
  tasks: StartedTask[];
  end?: RunEnd;
  /** No task is left to deliver and the run waits on an event stage (instead of `stuck`). */
  waitingForEvent?: true;
}

export interface Runtime {
  readonly name: string;
  /** Deploys `workflow` (as is: no validation beyond what the runtime itself does) and starts a run. */
  start(workflow: Workflow, input: Json): Promise<void>;
  /**
   * Waits until the run has ended, or tasks not in `handled` have started and no more are coming
   * for now; reports `stuck` when neither happens.
   */
  settle(handled: ReadonlySet<string>): Promise<Settled>;
  /** Reports the outcome of a started task, as the platform (or the timer) would. */
  deliver(task: StartedTask, delivery: Delivery): Promise<void>;
  /** Delivers an external event for `workflow` (possibly before its run starts), as the platform or the stream would. */
  sendEvent(workflow: string, event: ScriptedEvent): Promise<void>;
  /** The event wait the run is parked at times out (its timer fires), if it has a timeout. */
  expireWait(): Promise<void>;
  /** Ids of the events received that no wait has taken (recorded and visible), sorted. */
  pendingEvents(): Promise<string[]>;
  close(): Promise<void>;
}

/** In which order a batch of tasks started together gets its outcomes (timeouts always last). */
export type DeliveryOrder = 'in start order' | 'reversed' | 'shuffled';

export interface Observed {
  end: RunEnd;
  starts: StartedTask[];
  /** Events received that no wait took, once the run has ended. */
  pending: string[];
}

/** At most this many rounds of deliveries per run: a runtime that keeps starting tasks fails the case. */
const MAX_ROUNDS = 200;

/** Plays a run to its end: every started task runs its fake action, outcomes in `order`. */
export async function playRun(runtime: Runtime, workflow: Workflow, input: Json, order: DeliveryOrder, events: readonly ScriptedEvent[] = []): Promise<Observed> {
  for (const event of events) if (event.when === 'before-start') await runtime.sendEvent(workflow.name, event);
  const later = events.filter((event) => event.when === 'when-waiting');
  await runtime.start(workflow, input);
  const handled = new Set<string>();
  // Seeded: a failure in shuffled order replays the same way.
  const random = seededRandom(7);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const { tasks, end, waitingForEvent } = await runtime.settle(handled);
    if (end) {
      for (const event of events) if (event.when === 'after-end') await runtime.sendEvent(workflow.name, event);
      return { end, starts: tasks, pending: await runtime.pendingEvents() };
    }
    const fresh = tasks.filter((task) => !handled.has(task.id));
    if (fresh.length === 0 && waitingForEvent) {
      // The run waits on an event: the next scripted one arrives, or, with none left, its timeout.
      const next = later.shift();
      if (next) await runtime.sendEvent(workflow.name, next);
      else await runtime.expireWait();
      continue;
    }
    if (order === 'reversed') fresh.reverse();
    if (order === 'shuffled') shuffle(fresh, random);
    const hanging: StartedTask[] = [];
    for (const task of fresh) {
      handled.add(task.id);
      const outcome: ActionOutcome = performAction(task.action, task.params, task.attempt);
      if (outcome === 'hang') hanging.push(task);
      else await runtime.deliver(task, outcome);
    }
    // An attempt that never answers times out only after the others of its batch have answered.
    for (const task of hanging) await runtime.deliver(task, 'timeout');
  }
  const { tasks } = await runtime.settle(handled);
  return { end: { status: 'did-not-terminate', detail: `still starting tasks after ${MAX_ROUNDS} rounds` }, starts: tasks, pending: await runtime.pendingEvents() };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** A start as compared between runtimes: what ran, with what, which attempt, whether a callback (not when, not its token). */
export function startKey(task: Omit<StartedTask, 'id' | 'taskKey'>): string {
  const { [CALLBACK_TOKEN_PARAM]: _token, ...params } = task.params;
  return JSON.stringify([task.stageId, task.action, task.attempt, sortKeys(params), task.callback === true]);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as JsonObject)[key] as Json)]));
  }
  return value;
}
