/**
 * Conformance cases of wait stages and completion policies (issue 22): same form as cases.ts. The
 * runtimes fire a wait's timer when the driver has nothing left to deliver (the streaming engine's
 * clock runs on), so no real time passes. Completion cases are written so that the results that
 * count do not depend on the delivery order: the elements or branches that may count answer alike.
 */
import type { Json, JsonObject } from '../../lib/model/json';
import { parseWorkflow } from '../../lib/model/parse';
import type { ConformanceCase, ExpectedStart } from './cases';

const start = (stageId: string, action: string, params: JsonObject, attempt = 1): ExpectedStart => ({ stageId, action, attempt, params });
const failed = (error: string, stageId: string): ConformanceCase['end'] => ({ status: 'failed', error: { error, stageId } });
const succeeded = (result: Json): ConformanceCase['end'] => ({ status: 'succeeded', result });
const ok = { ok: true, attempt: 1 };

export const WAIT_AND_JOIN_CASES: ConformanceCase[] = [
  {
    name: 'wait for seconds between two tasks',
    workflow: parseWorkflow(`
name: wait-seconds
stages:
  - { id: first, kind: task, action: double }
  - { id: pause, kind: wait, seconds: 0.5 }
  - { id: second, kind: task, action: double }
`),
    input: { value: 3 },
    end: succeeded({ value: 12 }),
    starts: [start('first', 'double', { value: 3 }), start('second', 'double', { value: 6 })],
  },
  {
    name: 'wait until a time from the data, data passed on unchanged',
    workflow: parseWorkflow(`
name: wait-until
stages:
  - { id: hold, kind: wait, until: $.deadline }
  - { id: tag, kind: task, action: echo }
`),
    input: { value: 1, deadline: '2026-01-01T00:00:01Z' },
    end: succeeded({ value: 1, deadline: '2026-01-01T00:00:01Z' }),
    starts: [start('tag', 'echo', { value: 1, deadline: '2026-01-01T00:00:01Z' })],
  },
  {
    name: 'wait until a value that is no time fails InvalidTime',
    workflow: parseWorkflow(`
name: wait-bad-time
stages:
  - { id: hold, kind: wait, until: $.deadline }
  - { id: tag, kind: task, action: echo }
`),
    input: { deadline: 'next tuesday' },
    end: failed('whiskflow.InvalidTime', 'hold'),
    starts: [],
  },
  {
    name: 'map with completion any: the first success counts, the reduce sees only it',
    workflow: parseWorkflow(`
name: map-any
stages:
  - { id: each, kind: map, items: $.xs, action: double, completion: any }
  - { id: total, kind: reduce, action: sum }
`),
    input: { xs: [5, 5, 5] },
    end: succeeded({ value: 10 }),
    starts: [
      start('each', 'double', { value: 5 }), start('each', 'double', { value: 5 }), start('each', 'double', { value: 5 }),
      start('total', 'sum', { results: [{ value: 10 }] }),
    ],
  },
  {
    name: 'map with atLeast 2 of 3 survives one failed element',
    workflow: parseWorkflow(`
name: map-quorum
stages:
  - { id: each, kind: map, items: $.xs, action: flaky, completion: { atLeast: 2 } }
`),
    input: { xs: [{ failures: 0 }, { failures: 9 }, { failures: 0 }] },
    end: succeeded([ok, ok]),
    starts: [start('each', 'flaky', { failures: 0 }), start('each', 'flaky', { failures: 9 }), start('each', 'flaky', { failures: 0 })],
  },
  {
    name: 'map with a tolerated failure count waits for all and passes the successes in input order',
    workflow: parseWorkflow(`
name: map-tolerated
stages:
  - { id: each, kind: map, items: $.xs, action: flaky, toleratedFailureCount: 1, concurrency: 1 }
`),
    input: { xs: [{ failures: 0 }, { failures: 9 }, { failures: 0 }] },
    end: succeeded([ok, ok]),
    starts: [start('each', 'flaky', { failures: 0 }), start('each', 'flaky', { failures: 9 }), start('each', 'flaky', { failures: 0 })],
  },
  {
    name: 'map with more failures than tolerated fails the stage',
    workflow: parseWorkflow(`
name: map-intolerable
stages:
  - { id: each, kind: map, items: $.xs, action: flaky, toleratedFailurePercentage: 50, concurrency: 1 }
`),
    input: { xs: [{ failures: 9 }, { failures: 9 }, { failures: 0 }] },
    end: failed('Flaky', 'each'),
    starts: [start('each', 'flaky', { failures: 9 }), start('each', 'flaky', { failures: 9 })],
  },
  {
    name: 'map needing more successes than it has elements fails CompletionUnreachable',
    workflow: parseWorkflow(`
name: map-unreachable
stages:
  - { id: each, kind: map, items: $.xs, action: double, completion: { atLeast: 3 } }
`),
    input: { xs: [1, 2] },
    end: failed('whiskflow.CompletionUnreachable', 'each'),
    starts: [],
  },
  {
    name: 'parallel with atLeast 2 of 3 branches survives a failed branch',
    workflow: parseWorkflow(`
name: parallel-quorum
stages:
  - id: write
    kind: parallel
    completion: { atLeast: 2 }
    branches:
      - stages: [{ id: a, kind: task, action: double }]
      - stages: [{ id: b, kind: task, action: fail, params: { errorName: Down } }]
      - stages: [{ id: c, kind: task, action: double }]
`),
    input: { value: 5 },
    end: succeeded([{ value: 10 }, { value: 10 }]),
    starts: [start('a', 'double', { value: 5 }), start('b', 'fail', { errorName: 'Down', value: 5 }), start('c', 'double', { value: 5 })],
  },
];
