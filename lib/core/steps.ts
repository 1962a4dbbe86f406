/**
 * The streaming engine's threads on a Draft: where a thread parks (its run-state wait and the
 * task attempts it starts), how a branch's end reaches its fork's join, and how a run finishes.
 * What each step *means* (data flow, choices, catch routing, failures) is scope.ts, which the
 * native orchestrator applies as well; this module only keeps the thread state around it.
 */
import { completionVerdict } from '../conditions/completion';
import { arrivedCount, arrivedResults, copyJoin, emptyJoin, failedCount, recordArrival, recordFailureInPlace, type JoinContext } from '../conditions/join';
import { runFinished, stageCompleted, taskCompleted } from '../events/build';
import { formatTaskKey } from '../events/task-key';
import type { RunError } from '../events/types';
import type { FanOutStep, ForkStep } from '../model/compile';
import type { CompletionPolicy } from '../model/workflow';
import { stepOf } from '../model/compile';
import type { Json } from '../model/json';
import type { Draft } from './draft';
import type { Thread } from './run-state';
import { ROOT_THREAD } from './run-state';
import { startAttempt } from './attempts';
import { startAwait } from './await';
import { afterStep, elementParams, enterScope, reduceParams, wakeTime, type Entered, type ScopeHooks, type StepOutcome, type WaitingStep } from './scope';

export type { StepOutcome, WaitingStep } from './scope';

/** What a thread is, apart from where it is parked. */
export type ThreadIdentity = Pick<Thread, 'id' | 'joins'> & { parent?: Thread['parent'] };

export function rootIdentity(): ThreadIdentity {
  return { id: ROOT_THREAD, joins: {} };
}

export function identityOf(thread: Thread): ThreadIdentity {
  const identity: ThreadIdentity = { id: thread.id, joins: thread.joins };
  if (thread.parent) identity.parent = thread.parent;
  return identity;
}

/** The thread parked at visit `seq` of `stageId`, if any (stale events find none). */
export function threadAt(draft: Draft, stageId: string, seq: number): Thread | undefined {
  return Object.values(draft.state.threads).find((thread) => thread.stageId === stageId && thread.seq === seq);
}

/** Run steps from `stepId` with `data` until the thread parks, its scope ends, or the run ends. */
export function enterStep(draft: Draft, thread: ThreadIdentity, stepId: string, data: Json): void {
  if (!draft.running) return;
  const scope = scopeOf(draft, thread);
  settle(draft, scope, enterScope(draft.workflow, stepId, data, scope.hooks, draft.instantSteps));
}

/** A parked step finished (or the store-side join decided it did): unpark and move on. */
export function completeParkedStep(draft: Draft, parked: Thread, outcome: StepOutcome): void {
  delete draft.state.threads[parked.id];
  const step = stepOf(draft.workflow, parked.stageId) as WaitingStep;
  const scope = scopeOf(draft, identityOf(parked));
  settle(draft, scope, afterStep(draft.workflow, step, parked.seq, parked.data, outcome, scope.hooks, draft.instantSteps));
}

/** A thread walking its scope: the hooks of scope.ts over the draft, and the joins as they grow. */
interface ThreadScope {
  thread: ThreadIdentity;
  hooks: ScopeHooks;
}

function scopeOf(draft: Draft, identity: ThreadIdentity): ThreadScope {
  const scope: ThreadScope = {
    thread: identity,
    hooks: {
      hasJoin: (stepId) => scope.thread.joins[stepId] !== undefined,
      joined: (step, results) => {
        scope.thread = { ...scope.thread, joins: { ...scope.thread.joins, [step.id]: results } };
      },
      visit: (step) => draft.nextVisit(step.id),
      completed: (step, seq, completion) => {
        const event = completion.status === 'succeeded'
          ? stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'succeeded', output: completion.output, time: draft.time })
          : stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'failed', error: completion.error, time: draft.time });
        draft.emit({ kind: 'emit', event });
      },
    },
  };
  return scope;
}

/** Where the walk of scope.ts left the thread: parked at a step (its tasks started), or its scope over. */
function settle(draft: Draft, scope: ThreadScope, entered: Entered): void {
  const thread = scope.thread;
  if ('end' in entered) {
    if (entered.end.status === 'succeeded') return endScope(draft, thread, entered.end.output);
    return failScope(draft, thread, entered.end.error);
  }
  const parked = entered.park;
  switch (parked.kind) {
    case 'invoke':
    case 'reduce': {
      const { step, seq } = parked;
      const params = parked.kind === 'invoke' ? parked.params : reduceParams(step, thread.joins[parked.step.input.fromStepId] ?? []);
      park(draft, thread, step, seq, parked.data, { kind: 'task', attempt: 1, params });
      return startAttempt(draft, step, { stageId: step.id, seq, index: 0, attempt: 1 }, params, 0);
    }
    case 'fan-out': {
      const { step, seq, items, window } = parked;
      park(draft, thread, step, seq, parked.data, { kind: 'fan-out', items, concurrency: window, join: emptyJoin(items.length), attempts: {} });
      for (let index = 0; index < window; index += 1) startElement(draft, step, seq, index, 1, 0);
      return;
    }
    case 'fork':
      return startFork(draft, thread, parked.step, parked.seq, parked.data, parked.input);
    case 'wait': {
      const { step, seq } = parked;
      const due = wakeTime(parked.wake, draft.time);
      park(draft, thread, step, seq, parked.data, { kind: 'timer', due });
      const taskKey = formatTaskKey({ stageId: step.id, seq, index: 0, attempt: 1 });
      draft.emit({ kind: 'schedule-wake', taskKey, at: due, event: taskCompleted({ runId: draft.state.runId, taskKey, result: null, time: due }) });
      return;
    }
    case 'await': {
      park(draft, thread, parked.step, parked.seq, parked.data, { kind: 'task', attempt: 1, params: {} });
      return startAwait(draft, parked.step, parked.seq, parked.key);
    }
    default:
      return unknownPark(parked);
  }
}

/** Start attempt `attempt` of map element `index` (the fan-out thread must be parked). */
export function startElement(draft: Draft, step: FanOutStep, seq: number, index: number, attempt: number, delayMs: number): void {
  const parked = threadAt(draft, step.id, seq);
  if (!parked || parked.wait.kind !== 'fan-out') return;
  const item = parked.wait.items[index];
  if (item === undefined) return;
  parked.wait.attempts[String(index)] = attempt;
  startAttempt(draft, step, { stageId: step.id, seq, index, attempt }, elementParams(step, item), delayMs);
}

function startFork(draft: Draft, thread: ThreadIdentity, step: ForkStep, seq: number, data: Json, input: Json): void {
  park(draft, thread, step, seq, data, { kind: 'fork', join: emptyJoin(step.branchStarts.length) });
  step.branchStarts.forEach((branchStart, branch) => {
    // A branch may end or fail the fork at once (e.g. a fail stage); later branches must not start then.
    const fork = draft.state.threads[thread.id];
    if (!draft.running || !fork || fork.stageId !== step.id || fork.seq !== seq) return;
    const child: ThreadIdentity = { id: `${thread.id}/${step.id}.${seq}.${branch}`, joins: {}, parent: { threadId: thread.id, stageId: step.id, seq, branch } };
    enterStep(draft, child, branchStart, input);
  });
}

function park(draft: Draft, thread: ThreadIdentity, step: WaitingStep, seq: number, data: Json, wait: Thread['wait']): void {
  const parked: Thread = { id: thread.id, stageId: step.id, seq, data, wait, joins: thread.joins };
  if (thread.parent) parked.parent = thread.parent;
  draft.state.threads[thread.id] = parked;
}

/** The thread's scope ended with `data`: the run succeeds, or the branch arrives at its fork's join. */
function endScope(draft: Draft, thread: ThreadIdentity, data: Json): void {
  delete draft.state.threads[thread.id];
  if (!thread.parent) return finishRun(draft, { status: 'succeeded', result: data });
  const fork = parkedFork(draft, thread.parent);
  if (!fork || fork.wait.kind !== 'fork') return;
  const policy = (stepOf(draft.workflow, fork.stageId) as ForkStep).completion;
  const verdict = recordArrival(fork.wait.join, thread.parent.branch, data);
  fork.wait.join = verdict.context;
  if (policy === undefined) {
    if (verdict.kind === 'complete') completeParkedStep(draft, fork, { status: 'succeeded', result: verdict.results });
    return;
  }
  if (verdict.kind !== 'duplicate') settleFork(draft, fork, policy, undefined);
}

/**
 * What a completion policy (completion.ts) says of a join after an arrival or a failure for good:
 * the results that counted (in input order), the failure, or nothing yet.
 */
export function joinVerdict(policy: CompletionPolicy | undefined, join: JoinContext): 'pending' | 'failed' | { results: Json[] } {
  const verdict = completionVerdict(policy, { total: join.expected, succeeded: arrivedCount(join), failed: failedCount(join) });
  return verdict === 'complete' ? { results: arrivedResults(join) } : verdict;
}

/** A fork with a completion policy after one of its branches ended: complete it, fail it, or wait on. */
function settleFork(draft: Draft, fork: Thread, policy: CompletionPolicy, error: RunError | undefined): void {
  if (fork.wait.kind !== 'fork') return;
  const verdict = joinVerdict(policy, fork.wait.join);
  if (verdict === 'pending') return;
  // The branches still running are left: their threads go, so they start nothing more and their
  // tasks' outcomes find no thread (recorded by the platform, ignored here).
  dropBranches(draft, fork);
  if (verdict === 'failed') return completeParkedStep(draft, fork, { status: 'failed', error: error ?? { error: 'whiskflow.CompletionUnreachable', stageId: fork.stageId } });
  completeParkedStep(draft, fork, { status: 'succeeded', result: verdict.results });
}

function dropBranches(draft: Draft, fork: Thread): void {
  const branchPrefix = `${fork.id}/${fork.stageId}.${fork.seq}.`;
  for (const id of Object.keys(draft.state.threads)) {
    if (id.startsWith(branchPrefix)) delete draft.state.threads[id];
  }
}

/** The thread's scope failed: the run fails, or the enclosing parallel stage fails (siblings cancelled). */
export function failScope(draft: Draft, thread: ThreadIdentity, error: RunError): void {
  delete draft.state.threads[thread.id];
  if (!thread.parent) return finishRun(draft, { status: 'failed', error });
  const fork = parkedFork(draft, thread.parent);
  if (!fork) return;
  const policy = (stepOf(draft.workflow, fork.stageId) as ForkStep).completion;
  if (policy !== undefined && fork.wait.kind === 'fork') {
    // The fork's join is shared with the caller's state (draft.ts copies fork waits shallowly).
    const join = copyJoin(fork.wait.join);
    if (!recordFailureInPlace(join, thread.parent.branch)) return;
    fork.wait.join = join;
    return settleFork(draft, fork, policy, error);
  }
  dropBranches(draft, fork);
  completeParkedStep(draft, fork, { status: 'failed', error });
}

function parkedFork(draft: Draft, parent: NonNullable<Thread['parent']>): Thread | undefined {
  const fork = draft.state.threads[parent.threadId];
  return fork && fork.stageId === parent.stageId && fork.seq === parent.seq ? fork : undefined;
}

export function finishRun(draft: Draft, outcome: { status: 'succeeded'; result: Json } | { status: 'failed' | 'cancelled'; error: RunError }): void {
  const state = draft.state;
  state.status = outcome.status;
  state.finishedAt = draft.time;
  state.threads = {};
  if (outcome.status === 'succeeded') state.result = outcome.result;
  else state.error = outcome.error;
  draft.emit(
    { kind: 'emit', event: runFinished({ runId: state.runId, ...outcome, time: draft.time }) },
    { kind: 'finish', runId: state.runId, ...outcome },
  );
}

function unknownPark(parked: never): never {
  throw new Error(`unknown park ${JSON.stringify(parked)}`);
}
