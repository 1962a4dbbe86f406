/**
 * The cases every runtime must agree on: a workflow, an input, and the outcome the core's semantics
 * give, written out here (never computed by a runtime): the run's end and the multiset of task
 * attempts started (stage, action, attempt, parameters).
 *
 * Timeouts are 10 minutes: the driver decides when an attempt times out (the streaming runtime's
 * clock jumps), so no real time passes. Retry backoffs are 1 ms for the same reason.
 */
import type { Json, JsonObject } from '../../lib/model/json';
import { parseWorkflow } from '../../lib/model/parse';
import type { Workflow } from '../../lib/model/workflow';
import type { RunEnd, ScriptedEvent } from './runtime';

export interface ExpectedStart {
  stageId: string;
  action: string;
  attempt: number;
  params: JsonObject;
  /** A callback task's attempt (its token parameter is not compared). */
  callback?: boolean;
}

export interface ConformanceCase {
  name: string;
  workflow: Workflow;
  input: Json;
  end: Exclude<RunEnd, { status: 'did-not-terminate' | 'stuck' }>;
  starts: ExpectedStart[];
  /** External events the driver sends (event stages). */
  events?: ScriptedEvent[];
  /** Ids of the events no wait took, sorted: kept, recorded and visible once the run has ended. */
  pending?: string[];
}

const yaml = (text: string): Workflow => parseWorkflow(text);
const start = (stageId: string, action: string, params: JsonObject, attempt = 1): ExpectedStart => ({ stageId, action, attempt, params });
const failed = (error: string, stageId: string): ConformanceCase['end'] => ({ status: 'failed', error: { error, stageId } });
const succeeded = (result: Json): ConformanceCase['end'] => ({ status: 'succeeded', result });

export const CASES: ConformanceCase[] = [
  {
    name: 'plain sequence',
    workflow: yaml(`
name: sequence
stages:
  - { id: first, kind: task, action: double }
  - { id: second, kind: task, action: double }
  - { id: label, kind: task, action: echo, params: { tag: doubled-twice } }
`),
    input: { value: 3 },
    end: succeeded({ tag: 'doubled-twice', value: 12 }),
    starts: [start('first', 'double', { value: 3 }), start('second', 'double', { value: 6 }), start('label', 'echo', { tag: 'doubled-twice', value: 12 })],
  },
  {
    name: 'map-reduce',
    workflow: yaml(`
name: map-reduce
stages:
  - { id: each, kind: map, items: $.xs, action: double }
  - { id: total, kind: reduce, action: sum }
`),
    input: { xs: [1, 2, 3] },
    end: succeeded({ value: 12 }),
    starts: [
      start('each', 'double', { value: 1 }), start('each', 'double', { value: 2 }), start('each', 'double', { value: 3 }),
      start('total', 'sum', { results: [{ value: 2 }, { value: 4 }, { value: 6 }] }),
    ],
  },
  {
    name: 'parallel of single tasks',
    workflow: yaml(`
name: parallel-single
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: twice, kind: task, action: double }]
      - stages: [{ id: tagged, kind: task, action: echo, params: { b: 2 } }]
`),
    input: { value: 5 },
    end: succeeded([{ value: 10 }, { b: 2, value: 5 }]),
    starts: [start('twice', 'double', { value: 5 }), start('tagged', 'echo', { b: 2, value: 5 })],
  },
  {
    name: 'parallel of multi-stage branches',
    workflow: yaml(`
name: parallel-multi
stages:
  - id: both
    kind: parallel
    branches:
      - stages:
          - { id: a1, kind: task, action: double }
          - { id: a2, kind: task, action: double }
      - stages:
          - { id: b1, kind: task, action: echo }
          - { id: b2, kind: task, action: double }
  - { id: total, kind: reduce, action: sum }
`),
    input: { value: 1 },
    end: succeeded({ value: 6 }),
    starts: [
      start('a1', 'double', { value: 1 }), start('a2', 'double', { value: 2 }),
      start('b1', 'echo', { value: 1 }), start('b2', 'double', { value: 1 }),
      start('total', 'sum', { results: [{ value: 4 }, { value: 2 }] }),
    ],
  },
  {
    name: 'nested parallel branches',
    workflow: yaml(`
name: parallel-nested
stages:
  - id: outer
    kind: parallel
    branches:
      - stages:
          - id: inner
            kind: parallel
            branches:
              - stages: [{ id: i1, kind: task, action: double }]
              - stages:
                  - { id: i2a, kind: task, action: double }
                  - { id: i2b, kind: task, action: double }
          - { id: inner-total, kind: reduce, action: sum }
      - stages: [{ id: o2, kind: task, action: double }]
`),
    input: { value: 1 },
    end: succeeded([{ value: 6 }, { value: 2 }]),
    starts: [
      start('i1', 'double', { value: 1 }), start('i2a', 'double', { value: 1 }), start('i2b', 'double', { value: 2 }),
      start('inner-total', 'sum', { results: [{ value: 2 }, { value: 4 }] }), start('o2', 'double', { value: 1 }),
    ],
  },
  {
    name: 'catch of a failed branch',
    workflow: yaml(`
name: catch-branch
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: fine, kind: task, action: double }]
      - stages:
          - { id: prepare, kind: task, action: echo }
          - { id: breaks, kind: task, action: fail, params: { errorName: Boom } }
    catch: [{ errors: [Boom], next: recovered, resultPath: $.caught }]
  - { id: unreachable, kind: fail, error: NotCaught }
  - { id: recovered, kind: succeed, output: $.caught.error }
`),
    input: { value: 1 },
    end: succeeded('Boom'),
    starts: [start('fine', 'double', { value: 1 }), start('prepare', 'echo', { value: 1 }), start('breaks', 'fail', { errorName: 'Boom', value: 1 })],
  },
  {
    name: 'uncaught failure inside a multi-stage branch fails the run, naming the branch stage',
    workflow: yaml(`
name: branch-fails
stages:
  - id: both
    kind: parallel
    branches:
      - stages: [{ id: fine, kind: task, action: double }]
      - stages:
          - { id: prepare, kind: task, action: echo }
          - { id: breaks, kind: task, action: fail, params: { errorName: Boom } }
  - { id: after, kind: task, action: echo }
`),
    input: { value: 1 },
    end: failed('Boom', 'breaks'),
    starts: [start('fine', 'double', { value: 1 }), start('prepare', 'echo', { value: 1 }), start('breaks', 'fail', { errorName: 'Boom', value: 1 })],
  },
  {
    name: 'map with a concurrency window keeps results in input order',
    workflow: yaml(`
name: map-window
stages:
  - { id: each, kind: map, items: $.xs, action: double, concurrency: 2 }
  - { id: total, kind: reduce, action: echo }
`),
    input: { xs: [1, 2, 3, 4, 5] },
    end: succeeded({ results: [{ value: 2 }, { value: 4 }, { value: 6 }, { value: 8 }, { value: 10 }] }),
    starts: [
      ...[1, 2, 3, 4, 5].map((value) => start('each', 'double', { value })),
      start('total', 'echo', { results: [{ value: 2 }, { value: 4 }, { value: 6 }, { value: 8 }, { value: 10 }] }),
    ],
  },
  {
    name: 'map element retried, then the map succeeds',
    workflow: yaml(`
name: map-retry
stages:
  - { id: each, kind: map, items: $.items, action: flaky, retry: { maxAttempts: 2, backoff: { initialMs: 1 } } }
`),
    input: { items: [{ failures: 0 }, { failures: 1 }] },
    end: succeeded([{ ok: true, attempt: 1 }, { ok: true, attempt: 2 }]),
    starts: [start('each', 'flaky', { failures: 0 }), start('each', 'flaky', { failures: 1 }, 1), start('each', 'flaky', { failures: 1 }, 2)],
  },
  {
    name: 'loop through a task and a choice until a condition holds',
    workflow: yaml(`
name: count-up
stages:
  - { id: inc, kind: task, action: inc }
  - id: more
    kind: choice
    rules: [{ when: { path: $.n, lt: 3 }, next: inc }]
    default: done
  - { id: done, kind: succeed, output: $.n }
`),
    input: { n: 0 },
    end: succeeded(3),
    starts: [start('inc', 'inc', { n: 0 }), start('inc', 'inc', { n: 1 }), start('inc', 'inc', { n: 2 })],
  },
  {
    name: 'retries exhausted',
    workflow: yaml(`
name: retries-exhausted
stages:
  - { id: flaky, kind: task, action: fail, params: { errorName: Flaky }, retry: { maxAttempts: 3, backoff: { initialMs: 1 } } }
`),
    input: { value: 7 },
    end: failed('Flaky', 'flaky'),
    starts: [1, 2, 3].map((attempt) => start('flaky', 'fail', { errorName: 'Flaky', value: 7 }, attempt)),
  },
  {
    name: 'retry then success',
    workflow: yaml(`
name: retry-success
stages:
  - { id: flaky, kind: task, action: flaky, params: { failures: 2 }, retry: { maxAttempts: 3, backoff: { initialMs: 1 } } }
`),
    input: { value: 1 },
    end: succeeded({ ok: true, attempt: 3 }),
    starts: [1, 2, 3].map((attempt) => start('flaky', 'flaky', { failures: 2, value: 1 }, attempt)),
  },
  {
    name: 'timeout retried until exhausted',
    workflow: yaml(`
name: timeout-exhausted
stages:
  - { id: slow, kind: task, action: never-answers, timeout: 600000, retry: { maxAttempts: 2, backoff: { initialMs: 1 } } }
`),
    input: { value: 1 },
    end: failed('whiskflow.Timeout', 'slow'),
    starts: [start('slow', 'never-answers', { value: 1 }, 1), start('slow', 'never-answers', { value: 1 }, 2)],
  },
  {
    name: 'timeout caught',
    workflow: yaml(`
name: timeout-caught
stages:
  - { id: slow, kind: task, action: never-answers, timeout: 600000, catch: [{ errors: [whiskflow.Timeout], next: recovered, resultPath: $.caught }] }
  - { id: unreachable, kind: fail, error: NotCaught }
  - { id: recovered, kind: succeed, output: $.caught.error }
`),
    input: { value: 1 },
    end: succeeded('whiskflow.Timeout'),
    starts: [start('slow', 'never-answers', { value: 1 })],
  },
  {
    name: 'timeout then success on retry',
    workflow: yaml(`
name: timeout-retry
stages:
  - { id: slow, kind: task, action: hangs-once, timeout: 600000, retry: { maxAttempts: 2, backoff: { initialMs: 1 } } }
`),
    input: { value: 1 },
    end: succeeded({ ok: true, attempt: 2 }),
    starts: [start('slow', 'hangs-once', { value: 1 }, 1), start('slow', 'hangs-once', { value: 1 }, 2)],
  },
  {
    name: 'timeout of one map element among answering ones, caught',
    workflow: yaml(`
name: timeout-map
stages:
  - id: each
    kind: map
    items: $.items
    action: hangs-if-told
    timeout: 600000
    catch: [{ next: recovered, resultPath: $.caught }]
  - { id: unreachable, kind: fail, error: NotCaught }
  - { id: recovered, kind: succeed, output: $.caught.error }
`),
    input: { items: [{ n: 1 }, { n: 2, hang: true }, { n: 3 }] },
    end: succeeded('whiskflow.Timeout'),
    starts: [start('each', 'hangs-if-told', { n: 1 }), start('each', 'hangs-if-told', { n: 2, hang: true }), start('each', 'hangs-if-told', { n: 3 })],
  },
  {
    name: 'map of 0 elements',
    workflow: yaml(`
name: map-empty
stages:
  - { id: each, kind: map, items: $.xs, action: double }
  - { id: total, kind: reduce, action: sum }
`),
    input: { xs: [] },
    end: succeeded({ value: 0 }),
    starts: [start('total', 'sum', { results: [] })],
  },
  {
    name: 'choice with no matching rule and no default',
    workflow: yaml(`
name: no-choice
stages:
  - { id: look, kind: task, action: echo }
  - id: pick
    kind: choice
    rules: [{ when: { path: $.kind, equals: a }, next: is-a }]
  - { id: is-a, kind: succeed }
`),
    input: { kind: 'b' },
    end: failed('whiskflow.NoChoiceMatched', 'pick'),
    starts: [start('look', 'echo', { kind: 'b' })],
  },
  {
    name: '(a) task input on a missing path fails PathNotFound, caught',
    workflow: yaml(`
name: missing-input
stages:
  - { id: use, kind: task, action: double, input: $.missing, catch: [{ errors: [whiskflow.PathNotFound], next: recovered, resultPath: $.caught }] }
  - { id: unreachable, kind: fail, error: NotCaught }
  - { id: recovered, kind: succeed, output: $.caught.error }
`),
    input: { value: 1 },
    end: succeeded('whiskflow.PathNotFound'),
    starts: [],
  },
  {
    name: '(b) succeed output on a missing path fails PathNotFound',
    workflow: yaml(`
name: missing-output
stages:
  - { id: first, kind: task, action: double }
  - { id: done, kind: succeed, output: $.nope }
`),
    input: { value: 1 },
    end: failed('whiskflow.PathNotFound', 'done'),
    starts: [start('first', 'double', { value: 1 })],
  },
  {
    // choice.ts: a missing path makes every comparison false, so the default is taken.
    name: '(c) choice on a misspelled path takes the default',
    workflow: yaml(`
name: misspelled-choice
stages:
  - id: size
    kind: choice
    rules: [{ when: { path: $.totl, ge: 100 }, next: large }]
    default: small
  - { id: large, kind: task, action: echo, params: { label: large }, end: true }
  - { id: small, kind: task, action: echo, params: { label: small } }
`),
    input: { total: 150 },
    end: succeeded({ label: 'small', total: 150 }),
    starts: [start('small', 'echo', { label: 'small', total: 150 })],
  },
  {
    name: '(c) choice on a misspelled path without default fails NoChoiceMatched',
    workflow: yaml(`
name: misspelled-choice-no-default
stages:
  - id: size
    kind: choice
    rules: [{ when: { path: $.totl, ge: 100 }, next: large }, { when: { path: $.totl, lt: 100 }, next: small }]
  - { id: large, kind: succeed }
  - { id: small, kind: succeed }
`),
    input: { total: 150 },
    end: failed('whiskflow.NoChoiceMatched', 'size'),
    starts: [],
  },
  {
    name: '(d) map over a number fails ItemsNotArray, caught',
    workflow: yaml(`
name: map-number
stages:
  - { id: each, kind: map, items: $.xs, action: double, catch: [{ errors: [whiskflow.ItemsNotArray], next: recovered, resultPath: $.caught }] }
  - { id: unreachable, kind: fail, error: NotCaught }
  - { id: recovered, kind: succeed, output: $.caught.error }
`),
    input: { xs: 5 },
    end: succeeded('whiskflow.ItemsNotArray'),
    starts: [],
  },
  {
    // Deploy refuses this loop now (validate.ts): the model is built without the parser, as a
    // definition stored before that check would be. The core's run-time guard ends it.
    name: '(e) a choice that loops back to itself fails InstantLoop',
    workflow: {
      name: 'spin',
      stages: [
        { id: 'spin', kind: 'choice', rules: [{ when: { kind: 'exists', path: '$.x', value: true }, next: 'spin' }], default: 'done' },
        { id: 'done', kind: 'succeed', output: '$' },
      ],
    },
    input: { x: 1 },
    end: failed('whiskflow.InstantLoop', 'spin'),
    starts: [],
  },
  {
    name: '(e) two choices that send the run back and forth fail InstantLoop',
    workflow: {
      name: 'ping-pong',
      stages: [
        { id: 'check', kind: 'choice', rules: [{ when: { kind: 'equals', path: '$.ready', value: true }, next: 'done' }], default: 'retry-check' },
        { id: 'retry-check', kind: 'choice', rules: [{ when: { kind: 'equals', path: '$.ready', value: false }, next: 'check' }], default: 'done' },
        { id: 'done', kind: 'succeed', output: '$' },
      ],
    },
    input: { ready: false },
    end: { status: 'failed', error: { error: 'whiskflow.InstantLoop' } },
    starts: [],
  },
  {
    // Passes validation (the loop has a task stage), but that task fails at once on its missing
    // input and is caught back into the choice: the run-time guard must end it.
    name: '(e) a loop through a task that never starts fails InstantLoop',
    workflow: yaml(`
name: spin-through-catch
stages:
  - id: spin
    kind: choice
    rules: [{ when: { path: $.x, exists: true }, next: fetch }]
    default: done
  - { id: fetch, kind: task, action: echo, input: $.missing, catch: [{ next: spin, resultPath: null }] }
  - { id: done, kind: succeed }
`),
    input: { x: 1 },
    end: { status: 'failed', error: { error: 'whiskflow.InstantLoop' } },
    starts: [],
  },
];

