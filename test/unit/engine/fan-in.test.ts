import { advance } from '../../../lib/engine/advance';
import type { Effect, InvokeEffect } from '../../../lib/engine/effects';
import {
  attemptClaimId,
  joinResults,
  planFanInEvent,
  resultDocId,
  resultDocPrefix,
  stageOutcomeOf,
  transitionDocId,
  type ResultDoc,
} from '../../../lib/engine/fan-in';
import type { RunState } from '../../../lib/engine/run-state';
import { startRun, transition } from '../../../lib/engine/transition';
import { runStarted, taskCompleted, taskFailed } from '../../../lib/events/build';
import type { TaskEvent } from '../../../lib/events/types';
import { compileWorkflow } from '../../../lib/model/compile';
import type { Json, JsonObject } from '../../../lib/model/json';
import { parseWorkflow } from '../../../lib/model/parse';
import { fixture, T0 } from './helpers';

const doc = (index: number, fields: Partial<ResultDoc> = {}): ResultDoc => ({
  _id: `r:result:m:1:${index}`, kind: 'whiskflow.result', runId: 'r', stageId: 'm', seq: 1, index, taskKey: `m:1:${index}:1`, time: T0, status: 'succeeded', result: index * 10, ...fields,
});

describe('document ids', () => {
  it('derive the result doc from the slot, so every attempt of an element writes the same doc', () => {
    expect(resultDocId('run-7', 'sum:2:4:1')).toBe('run-7:result:sum:2:4');
    expect(resultDocId('run-7', 'sum:2:4:3')).toBe('run-7:result:sum:2:4');
    expect(resultDocId('run-7', 'sum:2:4:1').startsWith(resultDocPrefix('run-7', 'sum', 2))).toBe(true);
    expect(resultDocId('run-7', 'sum:2:4:1').startsWith(resultDocPrefix('run-7', 'sum', 1))).toBe(false);
  });

  it('keep visits, stages and attempts apart', () => {
    const ids = [transitionDocId('r', 's', 1), transitionDocId('r', 's', 2), transitionDocId('r', 't', 1),
      attemptClaimId('r', { stageId: 's', seq: 1, index: 0, attempt: 2 }), attemptClaimId('r', { stageId: 's', seq: 1, index: 0, attempt: 3 })];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('joinResults', () => {
  const slot = { stageId: 'm', seq: 1, expected: 3 };

  it.each<[string, ResultDoc[], ReturnType<typeof joinResults>]>([
    ['waits while slots are missing', [doc(2), doc(0)], { status: 'waiting', arrived: 2, expected: 3 }],
    ['orders results by index, not by listing order', [doc(2), doc(0), doc(1)], { status: 'succeeded', results: [0, 10, 20] }],
    ['ignores a repeated index (keeps the first)', [doc(1), doc(1, { result: 'again' }), doc(0)], { status: 'waiting', arrived: 2, expected: 3 }],
    ['ignores docs of another visit or outside the range', [doc(0), doc(1, { seq: 2 }), doc(7), doc(2)], { status: 'waiting', arrived: 2, expected: 3 }],
    ['fails fast on the lowest failed index', [doc(2, { status: 'failed', error: { error: 'B' } }), doc(1, { status: 'failed', error: { error: 'A' } })],
      { status: 'failed', error: { error: 'A' } }],
  ])('%s', (_name, docs, expected) => {
    expect(joinResults(slot, docs)).toEqual(expected);
  });

  it('gives advance the joined array', () => {
    expect(stageOutcomeOf({ status: 'succeeded', results: [1, 2] })).toEqual({ status: 'succeeded', result: [1, 2] });
  });
});

describe('planFanInEvent', () => {
  const bounded = compileWorkflow(parseWorkflow(`
name: b
stages:
  - id: m
    kind: map
    items: $
    concurrency: 2
    action: work
    retry: { maxAttempts: 2, backoff: { initialMs: 40 } }
  - { id: after, kind: task, action: next }
`));
  const started = startRun(bounded, runStarted({ runId: 'r', workflow: 'b', input: ['a', 'b', 'c'], time: T0 }));

  it('turns a completion into a create-only result doc plus the start of element index+concurrency', () => {
    const plan = planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'm:1:0:1', result: 'A', activationId: 'x', time: T0 }));
    expect(plan).toMatchObject({
      kind: 'record',
      doc: { _id: 'r:result:m:1:0', index: 0, status: 'succeeded', result: 'A', activationId: 'x' },
      slot: { stageId: 'm', seq: 1, expected: 3 },
    });
    expect(plan.kind === 'record' && plan.effects).toEqual([
      { kind: 'invoke', runId: 'r', stageId: 'm', taskKey: 'm:1:2:1', action: 'work', params: { value: 'c' } },
    ]);
  });

  it('starts no successor past the last element', () => {
    const plan = planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'm:1:1:1', result: 'B', time: T0 }));
    expect(plan.kind === 'record' && plan.effects).toEqual([]);
  });

  it('plans a retry behind a claim on the next attempt, skipped if the slot is filled meanwhile', () => {
    const plan = planFanInEvent(bounded, started.state, taskFailed({ runId: 'r', taskKey: 'm:1:1:1', error: { error: 'E' }, time: T0 }));
    expect(plan).toMatchObject({ kind: 'retry', claimId: 'r:attempt:m:1:1:2', unlessExists: 'r:result:m:1:1' });
    expect(plan.kind === 'retry' && plan.effects).toEqual([
      { kind: 'retry-after', taskKey: 'm:1:1:2', ms: 40, then: [{ kind: 'invoke', runId: 'r', stageId: 'm', taskKey: 'm:1:1:2', action: 'work', params: { value: 'b' } }] },
    ]);
  });

  it('records a final failure once attempts are used up', () => {
    const plan = planFanInEvent(bounded, started.state, taskFailed({ runId: 'r', taskKey: 'm:1:1:2', error: { error: 'E', cause: 'c' }, time: T0 }));
    expect(plan).toMatchObject({ kind: 'record', doc: { status: 'failed', error: { error: 'E', cause: 'element 1: c', stageId: 'm' } } });
  });

  it('leaves other events to transition, and ignores stale ones', () => {
    expect(planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'after:1:0:1', result: 1, time: T0 }))).toEqual({ kind: 'not-fan-in' });
    expect(planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'm:2:0:1', result: 1, time: T0 })).kind).toBe('ignore');
    expect(planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'm:1:9:1', result: 1, time: T0 })).kind).toBe('ignore');
  });

  it('does not change the run state it reads', () => {
    const before = structuredClone(started.state);
    planFanInEvent(bounded, started.state, taskCompleted({ runId: 'r', taskKey: 'm:1:0:1', result: 'A', time: T0 }));
    expect(started.state).toEqual(before);
  });
});

describe('advance', () => {
  const workflow = fixture('mapreduce');
  const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'mapreduce', input: { chunks: [[1], [2]] }, time: T0 }));
  const decision = { stageId: 'sum', seq: 1, outcome: { status: 'succeeded' as const, result: [{ sum: 1 }, { sum: 2 }] }, time: T0, decisionId: transitionDocId('r', 'sum', 1) };

  it('applies a whole stage outcome and runs on to the next stage', () => {
    const advanced = advance(workflow, started.state, decision);
    expect(advanced.effects.filter((effect) => effect.kind === 'invoke')).toEqual([
      { kind: 'invoke', runId: 'r', stageId: 'sumall', taskKey: 'sumall:1:0:1', action: 'sumall', params: { results: [{ sum: 1 }, { sum: 2 }] } },
    ]);
  });

  it('is idempotent: the same decision twice, or a stage no longer waiting, yields nothing', () => {
    const advanced = advance(workflow, started.state, decision);
    expect(advance(workflow, advanced.state, decision).effects).toEqual([]);
    expect(advance(workflow, advanced.state, { ...decision, decisionId: 'other' }).effects).toEqual([]);
  });

  it('routes a failed outcome like any stage failure', () => {
    const failed = advance(workflow, started.state, { ...decision, outcome: { status: 'failed', error: { error: 'X', stageId: 'sum' } } });
    expect(failed.state).toMatchObject({ status: 'failed', error: { error: 'X', stageId: 'sum' } });
  });
});

/**
 * The whole partitioned protocol against an in-memory create-only store, with events delivered
 * twice and in shuffled order: the run must end exactly as with the per-event transition.
 */
describe('partitioned fan-in end to end', () => {
  it.each([1, 2, 3, 4])('map-reduce with duplicated, shuffled deliveries (seed %i)', (seed) => {
    const workflow = fixture('mapreduce');
    const chunks = [[1, 2], [3], [4, 5, 6], [7], [8, 9]];
    const store = new Map<string, unknown>();
    const create = (id: string, value: unknown): boolean => {
      if (store.has(id)) return false; // a 409
      store.set(id, value);
      return true;
    };
    let state: RunState;
    let transitionsWritten = 0;
    const finishes: Effect[] = [];
    const pending: TaskEvent[] = [];
    const perform = (effects: Effect[]): void => {
      for (const effect of effects) {
        if (effect.kind === 'finish') finishes.push(effect);
        if (effect.kind !== 'invoke') continue;
        pending.push(respond(effect));
      }
    };
    const started = startRun(workflow, runStarted({ runId: 'r', workflow: 'mapreduce', input: { chunks }, time: T0 }));
    state = started.state;
    perform(started.effects);
    const random = lcg(seed);
    while (pending.length > 0) {
      const [event] = pending.splice(Math.floor(random() * pending.length), 1);
      if (!event) break;
      for (const copy of [event, { ...event }]) {
        const plan = planFanInEvent(workflow, state, copy);
        if (plan.kind === 'not-fan-in') {
          const next = transition(workflow, state, copy);
          state = next.state;
          perform(next.effects);
          continue;
        }
        if (plan.kind !== 'record' || !create(plan.doc._id, plan.doc)) continue;
        perform(plan.effects);
        const docs = [...store.entries()].filter(([id]) => id.startsWith(resultDocPrefix('r', plan.slot.stageId, plan.slot.seq))).map(([, value]) => value as ResultDoc);
        const outcome = joinResults(plan.slot, docs);
        if (outcome.status === 'waiting') continue;
        const decisionId = transitionDocId('r', plan.slot.stageId, plan.slot.seq);
        if (!create(decisionId, { outcome })) continue;
        transitionsWritten += 1;
        const next = advance(workflow, state, { stageId: plan.slot.stageId, seq: plan.slot.seq, outcome: stageOutcomeOf(outcome), time: T0, decisionId });
        state = next.state;
        perform(next.effects);
      }
    }
    expect(transitionsWritten).toBe(1);
    expect(finishes).toEqual([{ kind: 'finish', runId: 'r', status: 'succeeded', result: { sum: 45, parts: [3, 3, 15, 7, 17] } }]);
  });
});

function respond(invoke: InvokeEffect): TaskEvent {
  const params = invoke.params as JsonObject;
  if (invoke.action === 'sum') return taskCompleted({ runId: 'r', taskKey: invoke.taskKey, result: { sum: (params.value as number[]).reduce((a, b) => a + b, 0) }, time: T0 });
  const parts = (params.results as { sum: number }[]).map((part) => part.sum);
  const result: Json = { sum: parts.reduce((a, b) => a + b, 0), parts };
  return taskCompleted({ runId: 'r', taskKey: invoke.taskKey, result, time: T0 });
}

function lcg(seed: number): () => number {
  let value = seed;
  return () => ((value = (value * 1103515245 + 12345) % 2147483648) / 2147483648);
}
