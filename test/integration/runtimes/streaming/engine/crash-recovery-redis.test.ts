/**
 * What a crash leaves behind for the streaming engines, on Redis Streams (a real broker, the run
 * store in memory, OpenWhisk a fake at the Rule Engine's boundary):
 *
 * - an engine that died between claiming a task and invoking it leaves a claim without an
 *   activation id; the invoke event is delivered once (the Condition Engine produced it once), so
 *   the engine that gets it must not acknowledge it until it can take the claim over, or the run
 *   never moves again (a restarted `whiskflow engine` said "ready" and made no progress);
 * - an activation the platform lost (its record says `whisk internal error`, as the local platform
 *   records the activations running when it stopped) fails the attempt with
 *   `whiskflow.ActivationLost`, as under the native model: the task's retry runs it again, and
 *   without a retry the run fails with that error.
 */
import { randomUUID } from 'node:crypto';
import type { ActivationLike } from '../../../../../lib/events/activation';
import type { JsonObject } from '../../../../../lib/model/json';
import { toWorkflow } from '../../../../../lib/model/parse';
import { createEventStream, type EventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { startStreamingEngines, startStreamRun, WorkflowCatalog, type StreamingEngines, type StreamTaskInvoker } from '../../../../../lib/runtimes/streaming';
import { invokeClaimId, type InvokeClaim } from '../../../../../lib/runtimes/streaming/invoke-claims';
import { waitForRun } from '../../../../../lib/runs/run-client';
import { MemoryRunStore } from '../../../../../lib/store/memory';
import { requireRedis, type TestService } from '../../../../helpers/services';

jest.setTimeout(120_000);

/** Actions by name; `lost` answers an activation whose record says the platform lost it. */
class Platform implements StreamTaskInvoker {
  readonly invocations: string[] = [];
  private readonly records = new Map<string, ActivationLike>();

  constructor(private readonly outcome: (action: string, invocation: number, params: JsonObject) => 'lost' | JsonObject) {}

  async invoke(action: string, params: JsonObject): Promise<string> {
    const activationId = randomUUID().replace(/-/g, '');
    this.invocations.push(action);
    const outcome = this.outcome(action, this.invocations.filter((name) => name === action).length, params);
    this.records.set(activationId, outcome === 'lost'
      ? { activationId, end: Date.now(), response: { success: false, status: 'whisk internal error', result: { error: 'The activation was lost: the platform stopped while it ran, and it produced no response.' } } }
      : { activationId, end: Date.now(), response: { success: true, status: 'success', result: outcome } });
    return activationId;
  }

  async activation(activationId: string): Promise<ActivationLike | undefined> {
    return this.records.get(activationId);
  }
}

let redis: TestService | undefined;
let stream: EventStream | undefined;
let running: StreamingEngines | undefined;

beforeAll(async () => {
  redis = await requireRedis();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await stream?.close();
  stream = undefined;
});
afterAll(async () => {
  await redis?.stop();
});

async function start(platform: Platform, yaml: object, leaseMs = 60_000) {
  const tag = `c${randomUUID().slice(0, 8)}`;
  const topics = { completions: `${tag}.completions`, orchestration: `${tag}.orchestration` };
  const workflow = toWorkflow({ name: `${tag}-flow`, ...yaml });
  const store = new MemoryRunStore();
  stream = createEventStream((redis as TestService).url, { partitions: 2 });
  running = await startStreamingEngines({
    stream, store, invoker: platform, workflows: new WorkflowCatalog([workflow]), topics, consumer: tag,
    condition: { timerResolutionMs: 10 }, rule: { pollIntervalMs: 10, leaseMs },
  });
  return { store, workflow: workflow.name, topic: topics.completions };
}

test('a task claimed by an engine that died before invoking it is taken over after the lease, without a second delivery', async () => {
  const platform = new Platform((_action, _n, params) => ({ n: (params.n as number) + 1 }));
  const { store, workflow, topic } = await start(platform, {
    stages: [{ id: 'one', kind: 'task', action: 'inc' }, { id: 'two', kind: 'task', action: 'inc' }],
  }, 2_000);
  const runId = `claimed-${randomUUID().slice(0, 8)}`;
  // What the dead engine left: the first task's claim, fresh, with no activation id.
  await store.createOnly<InvokeClaim>(invokeClaimId(runId, 'one:1:0:1'), {
    type: 'stream-invoke', runId, stageId: 'one', taskKey: 'one:1:0:1', action: 'inc', completionTopic: topic,
    report: 'poll', claimedAt: Date.now(), claimedBy: 'dead-engine-rule',
  });
  await startStreamRun(stream as EventStream, { workflow, input: { n: 0 }, runId, topic });
  const head = await waitForRun(store, runId, { timeoutMs: 60_000, pollMs: 50 });
  expect({ status: head.status, output: head.output }).toEqual({ status: 'succeeded', output: { n: 2 } });
  expect(platform.invocations).toEqual(['inc', 'inc']);
});

test('a lost activation fails its attempt with whiskflow.ActivationLost, and the task\'s retry runs it again', async () => {
  const platform = new Platform((_action, n) => (n === 1 ? 'lost' : { ok: true }));
  const { store, workflow, topic } = await start(platform, {
    stages: [{ id: 'work', kind: 'task', action: 'work', retry: { maxAttempts: 2, backoff: { initialMs: 10 } } }],
  });
  const runId = await startStreamRun(stream as EventStream, { workflow, input: {}, topic });
  const head = await waitForRun(store, runId, { timeoutMs: 60_000, pollMs: 50 });
  expect({ status: head.status, output: head.output }).toEqual({ status: 'succeeded', output: { ok: true } });
  expect(platform.invocations).toEqual(['work', 'work']);
});

test('without a retry, a lost activation fails the run with whiskflow.ActivationLost', async () => {
  const platform = new Platform(() => 'lost');
  const { store, workflow, topic } = await start(platform, { stages: [{ id: 'work', kind: 'task', action: 'work' }] });
  const runId = await startStreamRun(stream as EventStream, { workflow, input: {}, topic });
  const head = await waitForRun(store, runId, { timeoutMs: 60_000, pollMs: 50 });
  expect(head.status).toBe('failed');
  expect(head.failure).toMatchObject({ error: 'whiskflow.ActivationLost', cause: expect.stringContaining('was lost: The activation was lost') });
});
