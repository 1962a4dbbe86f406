/**
 * Conformance: the same workflows, inputs and scripted task outcomes through the native
 * orchestrator, the streaming engines and the bare core; each must end the run as the case says
 * and start the same multiset of task attempts (stage, action, attempt, parameters), with outcomes
 * delivered in start order, reversed and shuffled (seeded). Since every runtime is held to the
 * same written-out expectation, passing cases agree between runtimes.
 *
 * A runtime known to diverge on a case is listed in KNOWN_DIVERGENCES: that test is `test.failing`
 * (it fails loudly once the runtime is fixed, and the entry is then removed).
 */
import { CASES as PLAIN_CASES, type ConformanceCase } from './cases';
import { CALLBACK_CASES, EVENT_CASES, POLICY_CASES } from './cases-events';
import { WAIT_AND_JOIN_CASES } from './cases-wait-join';
import { CoreRuntime } from './core-runtime';
import { NativeRuntime } from './native-runtime';
import { playRun, startKey, type DeliveryOrder, type Observed, type Runtime } from './runtime';
import { StreamingRuntime } from './streaming-runtime';

const ALL_CASES: ConformanceCase[] = [...PLAIN_CASES, ...WAIT_AND_JOIN_CASES, ...EVENT_CASES, ...CALLBACK_CASES, ...POLICY_CASES];
// CONFORMANCE_CASES=<text> plays only the cases whose name contains it (while working on one).
const CASES = ALL_CASES.filter((testCase) => testCase.name.includes(process.env.CONFORMANCE_CASES ?? ''));

const RUNTIMES: Record<string, () => Runtime> = {
  core: () => new CoreRuntime(),
  native: () => new NativeRuntime(),
  streaming: () => new StreamingRuntime(),
};

type Aspect = 'end' | 'starts' | 'pending';

/** runtime → case name → aspect → what is wrong (the divergence from the core's meaning). */
const TIMEOUT_ACTIVATION = 'a caught whiskflow.Timeout carries an activationId (native handle-event.ts failureOf: the hung '
  + 'task\'s activation, or for an event wait the orchestrator activation that registered it); the core\'s timeout error is { error, cause, stageId }';
const KNOWN_DIVERGENCES: Record<string, Record<string, Partial<Record<Aspect, string>>>> = {
  native: {
    'event stage timeout caught by catch goes to the catch target': { end: TIMEOUT_ACTIVATION, starts: TIMEOUT_ACTIVATION },
    'callback task with no report times out, caught by catch': { end: TIMEOUT_ACTIVATION, starts: TIMEOUT_ACTIVATION },
  },
};

const ORDERS: DeliveryOrder[] = ['in start order', 'reversed', 'shuffled'];

async function observe(make: () => Runtime, testCase: ConformanceCase, order: DeliveryOrder): Promise<Observed> {
  const runtime = make();
  try {
    return await playRun(runtime, testCase.workflow, testCase.input, order, testCase.events);
  } finally {
    await runtime.close();
  }
}

/** The run's end as compared: a failure's cause is informative only, and absent from the expectation. */
function comparableEnd(observed: Observed, expected: ConformanceCase): unknown {
  const { end } = observed;
  if (end.status !== 'failed') return end;
  const { cause: _cause, ...error } = end.error;
  return { status: 'failed', error: expected.end.status === 'failed' && expected.end.error.stageId === undefined ? { error: error.error } : error };
}

describe.each(Object.keys(RUNTIMES))('conformance: %s runtime', (runtimeName) => {
  const make = RUNTIMES[runtimeName] as () => Runtime;
  describe.each(CASES.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    // Each order is played once; both aspects are checked on the same runs.
    const observed = new Map<DeliveryOrder, Observed | { thrown: unknown }>();
    beforeAll(async () => {
      for (const order of ORDERS) {
        const first = observed.get(ORDERS[0] as DeliveryOrder);
        // A run that started no task had nothing delivered: the other orders would replay it alike.
        if (first && ('thrown' in first || first.starts.length === 0)) {
          observed.set(order, first);
          continue;
        }
        try {
          observed.set(order, await observe(make, testCase, order));
        } catch (thrown) {
          observed.set(order, { thrown });
        }
      }
    });
    const seen = (order: DeliveryOrder): Observed => {
      const outcome = observed.get(order);
      if (!outcome) throw new Error(`${order}: not played`);
      if ('thrown' in outcome) throw outcome.thrown;
      return outcome;
    };
    const divergence = KNOWN_DIVERGENCES[runtimeName]?.[testCase.name] ?? {};

    (divergence.end ? test.failing : test)('ends the run as the core means it', () => {
      for (const order of ORDERS) expect({ order, end: comparableEnd(seen(order), testCase) }).toEqual({ order, end: testCase.end });
    });
    (divergence.starts ? test.failing : test)('starts the same task attempts (stage, action, attempt, parameters)', () => {
      const expected = testCase.starts.map((start) => startKey(start)).sort();
      for (const order of ORDERS) expect({ order, starts: seen(order).starts.map(startKey).sort() }).toEqual({ order, starts: expected });
    });
    if (testCase.pending) {
      const pending = testCase.pending;
      (divergence.pending ? test.failing : test)('keeps the events no wait took, recorded and visible', () => {
        for (const order of ORDERS) expect({ order, pending: seen(order).pending }).toEqual({ order, pending });
      });
    }
    // One vocabulary: the task events of both runtimes name an attempt by the same task key.
    if (runtimeName !== 'core') {
      test('names its task attempts with the core\'s task keys', async () => {
        const reference = await observe(RUNTIMES.core as () => Runtime, testCase, 'in start order');
        const keys = (observed: Observed) => observed.starts.map((start) => start.taskKey).sort();
        expect(keys(seen('in start order'))).toEqual(keys(reference));
      });
    }
  });
});
