/**
 * The conformance suite's yardstick: one driver interface over each runtime (the native
 * orchestrator, the streaming engines, and the bare core as the reference), and the loop that
 * plays a case through any of them with the same fake actions and the same delivery order.
 */
import type { Json, JsonObject } from '../../lib/model/json';
import type { Workflow } from '../../lib/model/workflow';
import { seededRandom } from '../unit/core/simulate';
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
  close(): Promise<void>;
}

/** In which order a batch of tasks started together gets its outcomes (timeouts always last). */
export type DeliveryOrder = 'in start order' | 'reversed' | 'shuffled';

export interface Observed {
  end: RunEnd;
  starts: StartedTask[];
}

/** At most this many rounds of deliveries per run: a runtime that keeps starting tasks fails the case. */
const MAX_ROUNDS = 200;

/** Plays a run to its end: every started task runs its fake action, outcomes in `order`. */
export async function playRun(runtime: Runtime, workflow: Workflow, input: Json, order: DeliveryOrder): Promise<Observed> {
  await runtime.start(workflow, input);
  const handled = new Set<string>();
  // Seeded: a failure in shuffled order replays the same way.
  const random = seededRandom(7);
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const { tasks, end } = await runtime.settle(handled);
    if (end) return { end, starts: tasks };
    const fresh = tasks.filter((task) => !handled.has(task.id));
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
  return { end: { status: 'did-not-terminate', detail: `still starting tasks after ${MAX_ROUNDS} rounds` }, starts: tasks };
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** A start as compared between runtimes: what ran, with what, which attempt (not when). */
export function startKey(task: StartedTask): string {
  return JSON.stringify([task.stageId, task.action, task.attempt, sortKeys(task.params)]);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as JsonObject)[key] as Json)]));
  }
  return value;
}
