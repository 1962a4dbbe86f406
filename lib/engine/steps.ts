/**
 * How each primitive step runs, on a Draft: entering a step, completing or failing it, and ending
 * or failing a scope (a thread). One `switch` over the step union with an exhaustive `never`
 * check, so a new primitive does not compile until it is handled here.
 */
import { chooseNext } from '../conditions/choice';
import { emptyJoin, recordArrival } from '../conditions/join';
import { runFinished, stageCompleted } from '../events/build';
import type { RunError } from '../events/types';
import type { FanOutStep, ForkStep, InvokeStep, Step } from '../model/compile';
import { stepOf } from '../model/compile';
import type { Json } from '../model/json';
import { selectPath } from '../model/path';
import { mapWindow } from '../model/workflow';
import { actionParams, dataErrorOf, errorData, selectInput, stageOutput } from './data-flow';
import type { Draft } from './draft';
import type { Thread } from './run-state';
import { ROOT_THREAD } from './run-state';
import { startAttempt } from './attempts';

/** What a thread is, apart from where it is parked. */
export type ThreadIdentity = Pick<Thread, 'id' | 'joins'> & { parent?: Thread['parent'] };

/** Steps that can park a thread, and so can complete later. */
export type WaitingStep = InvokeStep | FanOutStep | ForkStep;

export type StepOutcome = { status: 'succeeded'; result: Json } | { status: 'failed'; error: RunError };

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
  // A loop, not recursion, through choices: a workflow may pass many of them in one transition.
  let nextId = stepId;
  for (;;) {
    if (!draft.running) return;
    const step = stepOf(draft.workflow, nextId);
    const seq = draft.nextVisit(step.id);
    switch (step.kind) {
      case 'invoke':
        return startInvoke(draft, thread, step, seq, data);
      case 'fan-out':
        return startFanOut(draft, thread, step, seq, data);
      case 'fork':
        return startFork(draft, thread, step, seq, data);
      case 'branch': {
        if (!draft.countInstantStep()) {
          return failScope(draft, thread, { error: 'whiskflow.InstantLoop', cause: `choices looped through ${step.id} without running a task`, stageId: step.id });
        }
        const chosen = chooseNext(step.rules, data, step.default);
        if (chosen === undefined) {
          return failScope(draft, thread, { error: 'whiskflow.NoChoiceMatched', cause: `no rule of ${step.id} holds and it has no default`, stageId: step.id });
        }
        draft.emit({ kind: 'emit', event: stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'succeeded', output: data, time: draft.time }) });
        nextId = chosen;
        break;
      }
      case 'succeed': {
        let output: Json;
        try {
          output = selectInput(data, step.output);
        } catch (thrown) {
          return failScope(draft, thread, requireDataError(thrown, step.id));
        }
        draft.emit({ kind: 'emit', event: stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'succeeded', output, time: draft.time }) });
        return endScope(draft, thread, output);
      }
      case 'fail': {
        const error: RunError = { error: step.error, stageId: step.id };
        if (step.cause !== undefined) error.cause = step.cause;
        return failScope(draft, thread, error);
      }
      default:
        return unknownStep(step);
    }
  }
}

/** A parked step finished (or the store-side join decided it did): unpark and move on. */
export function completeParkedStep(draft: Draft, parked: Thread, outcome: StepOutcome): void {
  delete draft.state.threads[parked.id];
  const step = stepOf(draft.workflow, parked.stageId) as WaitingStep;
  if (outcome.status === 'succeeded') stepSucceeded(draft, identityOf(parked), step, parked.seq, parked.data, outcome.result);
  else stepFailed(draft, identityOf(parked), step, parked.seq, parked.data, outcome.error);
}

function startInvoke(draft: Draft, thread: ThreadIdentity, step: InvokeStep, seq: number, data: Json): void {
  let input: Json;
  if (step.input.kind === 'data') {
    try {
      input = selectInput(data, step.input.path);
    } catch (thrown) {
      return stepFailed(draft, thread, step, seq, data, requireDataError(thrown, step.id));
    }
  } else {
    const results = thread.joins[step.input.fromStepId];
    if (results === undefined) {
      const cause = `reduce ${step.id} runs before ${step.input.fromStepId} has produced results in this scope`;
      return stepFailed(draft, thread, step, seq, data, { error: 'whiskflow.ReduceWithoutResults', cause, stageId: step.id });
    }
    input = { results };
  }
  const params = actionParams(input, step.params);
  park(draft, thread, step, seq, data, { kind: 'task', attempt: 1, params });
  startAttempt(draft, step, { stageId: step.id, seq, index: 0, attempt: 1 }, params, 0);
}

function startFanOut(draft: Draft, thread: ThreadIdentity, step: FanOutStep, seq: number, data: Json): void {
  let items: Json | undefined;
  try {
    items = selectPath(selectInput(data, step.input), step.items);
  } catch (thrown) {
    return stepFailed(draft, thread, step, seq, data, requireDataError(thrown, step.id));
  }
  if (!Array.isArray(items)) {
    const cause = `${step.items} of the input of ${step.id} is ${items === undefined ? 'missing' : 'not an array'}`;
    return stepFailed(draft, thread, step, seq, data, { error: 'whiskflow.ItemsNotArray', cause, stageId: step.id });
  }
  if (items.length === 0) return stepSucceeded(draft, thread, step, seq, data, []);
  const concurrency = mapWindow(step.concurrency, items.length);
  park(draft, thread, step, seq, data, { kind: 'fan-out', items, concurrency, join: emptyJoin(items.length), attempts: {} });
  for (let index = 0; index < concurrency; index += 1) startElement(draft, step, seq, index, 1, 0);
}

/** Start attempt `attempt` of map element `index` (the fan-out thread must be parked). */
export function startElement(draft: Draft, step: FanOutStep, seq: number, index: number, attempt: number, delayMs: number): void {
  const parked = threadAt(draft, step.id, seq);
  if (!parked || parked.wait.kind !== 'fan-out') return;
  const item = parked.wait.items[index];
  if (item === undefined) return;
  parked.wait.attempts[String(index)] = attempt;
  startAttempt(draft, step, { stageId: step.id, seq, index, attempt }, actionParams(item, step.params), delayMs);
}

function startFork(draft: Draft, thread: ThreadIdentity, step: ForkStep, seq: number, data: Json): void {
  let input: Json;
  try {
    input = selectInput(data, step.input);
  } catch (thrown) {
    return stepFailed(draft, thread, step, seq, data, requireDataError(thrown, step.id));
  }
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

function stepSucceeded(draft: Draft, thread: ThreadIdentity, step: WaitingStep, seq: number, data: Json, result: Json): void {
  let output: Json;
  try {
    output = stageOutput(data, result, step.resultPath, step.output);
  } catch (thrown) {
    return stepFailed(draft, thread, step, seq, data, requireDataError(thrown, step.id));
  }
  const joins = step.kind === 'invoke' || !Array.isArray(result) ? thread.joins : { ...thread.joins, [step.id]: result };
  draft.emit({ kind: 'emit', event: stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'succeeded', output, time: draft.time }) });
  proceed(draft, { ...thread, joins }, step, output);
}

/** A step failed: the first matching `catch` rule routes the error into the data, else the scope fails. */
function stepFailed(draft: Draft, thread: ThreadIdentity, step: WaitingStep, seq: number, data: Json, error: RunError): void {
  draft.emit({ kind: 'emit', event: stageCompleted({ runId: draft.state.runId, stageId: step.id, seq, status: 'failed', error, time: draft.time }) });
  const rule = step.catch.find((candidate) => candidate.errors === undefined || candidate.errors.includes(error.error));
  if (!rule) return failScope(draft, thread, error);
  let caught: Json;
  try {
    caught = rule.resultPath === null ? data : stageOutput(data, errorData(error), rule.resultPath, '$');
  } catch (thrown) {
    return failScope(draft, thread, requireDataError(thrown, step.id));
  }
  enterStep(draft, thread, rule.next, caught);
}

function proceed(draft: Draft, thread: ThreadIdentity, step: Step, data: Json): void {
  if (step.next === null) endScope(draft, thread, data);
  else enterStep(draft, thread, step.next, data);
}

/** The thread's scope ended with `data`: the run succeeds, or the branch arrives at its fork's join. */
function endScope(draft: Draft, thread: ThreadIdentity, data: Json): void {
  delete draft.state.threads[thread.id];
  if (!thread.parent) return finishRun(draft, { status: 'succeeded', result: data });
  const fork = parkedFork(draft, thread.parent);
  if (!fork || fork.wait.kind !== 'fork') return;
  const verdict = recordArrival(fork.wait.join, thread.parent.branch, data);
  fork.wait.join = verdict.context;
  if (verdict.kind === 'complete') completeParkedStep(draft, fork, { status: 'succeeded', result: verdict.results });
}

/** The thread's scope failed: the run fails, or the enclosing parallel stage fails (siblings cancelled). */
export function failScope(draft: Draft, thread: ThreadIdentity, error: RunError): void {
  delete draft.state.threads[thread.id];
  if (!thread.parent) return finishRun(draft, { status: 'failed', error });
  const fork = parkedFork(draft, thread.parent);
  if (!fork) return;
  const branchPrefix = `${fork.id}/${fork.stageId}.${fork.seq}.`;
  for (const id of Object.keys(draft.state.threads)) {
    if (id.startsWith(branchPrefix)) delete draft.state.threads[id];
  }
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

/** Data path problems are run errors; anything else is a bug and must not be swallowed. */
function requireDataError(thrown: unknown, stageId: string): RunError {
  const error = dataErrorOf(thrown, stageId);
  if (!error) throw thrown;
  return error;
}

function unknownStep(step: never): never {
  throw new Error(`unknown step ${JSON.stringify(step)}`);
}
