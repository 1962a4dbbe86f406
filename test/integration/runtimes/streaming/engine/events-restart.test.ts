/**
 * Event stages, wait stages and callback tasks under the streaming model on real brokers (Redis
 * Streams and Kafka, private servers), with `whiskflow engine` as a real process (the deployment's
 * event key on: every completion is checked) and the local platform running the actions:
 * - a raw structured CloudEvent produced to the engine's events topic reaches the waiting run;
 * - `whiskflow send` resumes a waiting run; `whiskflow complete` finishes a callback task;
 * - the engine is killed (SIGKILL) and the broker restarted while one run waits on an event and
 *   another on a wait stage: the event produced meanwhile and the checkpointed timer resume each
 *   run exactly once under a new engine;
 * - an event that matches no run is kept and listed by `whiskflow events --workflow`.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { deployActionFile } from '../../../../../lib/deploy/action-file';
import { deployStreamingWorkflow } from '../../../../../lib/deploy/workflow';
import { parseWorkflow } from '../../../../../lib/model/parse';
import type { JsonObject } from '../../../../../lib/model/json';
import { DEFAULT_TOPICS, startStreamRun } from '../../../../../lib/runtimes/streaming';
import { createEventStream, type EventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { contextDocId, type StreamRunContext } from '../../../../../lib/runtimes/streaming/run-context';
import { waitForRun } from '../../../../../lib/runs/run-client';
import { eventDocIds } from '../../../../../lib/store/event-mailbox';
import { createRunStore } from '../../../../../lib/store/config';
import type { RunStore } from '../../../../../lib/store/run-store';
import { cliSession, type CliSession } from '../../../../helpers/cli';
import { ROOT, type TestClient } from '../../../../helpers/deployed-platform';
import { startLocalPlatform, type LocalPlatform } from '../../../../helpers/local-platform';
import { requireKafka, requireRedis, type TestService } from '../../../../helpers/services';
import { until } from '../../../../helpers/until';
import { startEngineProcess, type EngineProcess } from './engine-process';

jest.setTimeout(600_000);

const WORKFLOWS = (tag: string) => ({
  order: parseWorkflow(`
name: ${tag}-order
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }
  - { id: ship, kind: task, action: fixtures/wait }
`),
  pause: parseWorkflow(`
name: ${tag}-pause
stages:
  - { id: hold, kind: wait, seconds: 4 }
  - { id: after, kind: task, action: fixtures/wait }
`),
  approval: parseWorkflow(`
name: ${tag}-approval
stages:
  - { id: ask, kind: task, action: fixtures/wait, callback: true, resultPath: $.answer }
`),
});

describe.each([
  ['Redis', requireRedis],
  ['Kafka', requireKafka],
] as const)('streaming events on %s with whiskflow engine restarts', (_name, requireBroker) => {
  let platform: LocalPlatform | undefined;
  let broker: TestService | undefined;
  let store: RunStore | undefined;
  let stream: EventStream | undefined;
  let engine: EngineProcess | undefined;
  let cli: CliSession | undefined;
  const tag = `ev${randomUUID().slice(0, 6)}`;
  const topicPrefix = `${tag}.`;
  const workflows = WORKFLOWS(tag);

  beforeAll(async () => {
    [platform, broker] = await Promise.all([startLocalPlatform(), requireBroker()]);
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    await store.ensureReady();
    for (const workflow of Object.values(workflows)) await deployStreamingWorkflow(client, store, workflow, { url: broker.url, topicPrefix });
    stream = createEventStream(broker.url, { partitions: 4 });
    engine = await startEngineProcess({ platform, streamUrl: broker.url, topicPrefix, name: `${tag}-1` });
    cli = cliSession(platform);
  }, 300_000);

  afterAll(async () => {
    cli?.restore();
    await engine?.stop();
    await stream?.close();
    await Promise.allSettled([platform?.stop(), broker?.stop()]);
  });

  const live = () => ({ store: store as RunStore, stream: stream as EventStream, cli: cli as CliSession });
  const start = (workflow: string, input: JsonObject) => startStreamRun(live().stream, { workflow, input, topic: `${topicPrefix}${DEFAULT_TOPICS.completions}` });
  const waiting = (runId: string) => until(`run ${runId} to wait for its event`, async () => (await live().store.get(eventDocIds.awaits(runId, 1))) !== undefined);
  const rawEvent = (id: string, key: string, amount: number) => ({
    specversion: '1.0', id, type: 'payment.received', source: '/shop', workflow: workflows.order.name, key, datacontenttype: 'application/json', data: { amount },
  });

  it('a raw CloudEvent produced to the events topic, and whiskflow send, resume waiting runs; an unmatched event is listed', async () => {
    const { store: runs, stream: producer, cli: session } = live();
    const [viaStream, viaSend] = await Promise.all([start(workflows.order.name, { orderId: 'a-1' }), start(workflows.order.name, { orderId: 'a-2' })]);
    await Promise.all([waiting(viaStream), waiting(viaSend)]);
    await producer.produce(`${topicPrefix}${DEFAULT_TOPICS.events}`, 'a-1', [rawEvent('pay-a-1', 'a-1', 11)]);
    const sent = await session.cli('send', workflows.order.name, '--type', 'payment.received', '--key', 'a-2', '--data', '{"amount":12}', '--id', 'pay-a-2');
    expect(sent).toContain(`delivered (run ${viaSend})`);
    const stray = await session.cli('send', workflows.order.name, '--type', 'payment.received', '--key', 'nobody', '--id', 'stray-1');
    expect(stray).toContain('kept');
    for (const [runId, amount] of [[viaStream, 11], [viaSend, 12]] as const) {
      const run = await waitForRun(runs, runId, { timeoutMs: 120_000, pollMs: 100 });
      expect({ status: run.status, output: run.output }).toMatchObject({ status: 'succeeded', output: { payment: { amount }, waited: 10 } });
    }
    const listed = await session.cli('events', '--workflow', workflows.order.name);
    expect(listed).toMatch(/key "nobody" id stray-1: pending/);
    expect(listed).toContain(`id pay-a-1: run ${viaStream}`);
  });

  it('whiskflow complete finishes a streaming callback task with the reported result', async () => {
    const { store: runs, cli: session } = live();
    const runId = await start(workflows.approval.name, { ms: 10 });
    const client = openwhisk({ apihost: (platform as LocalPlatform).apihost, api_key: (platform as LocalPlatform).auth });
    // The action returns its parameters (the token among them); the engine ignores that result.
    const token = await until('the callback action to have run', async () => {
      const activations = await client.activations.list({ name: 'wait', docs: true, limit: 50 }) as { response?: { result?: JsonObject } }[];
      const found = activations.map((activation) => activation.response?.result?.whiskflowToken).find((value) => typeof value === 'string' && value.includes('.') && JSON.stringify(Buffer.from(value.slice(4), 'base64url').toString()).includes(runId));
      return found as string | undefined;
    });
    expect((await runs.get<{ status: string }>(`run/${runId}`))?.status).toBe('running');
    const done = await session.cli('complete', token, '--result', '{"approved":true}');
    expect(done).toContain(runId);
    const run = await waitForRun(runs, runId, { timeoutMs: 120_000, pollMs: 100 });
    expect({ status: run.status, output: run.output }).toEqual({ status: 'succeeded', output: { ms: 10, answer: { approved: true } } });
  });

  it('an event and a wait stage survive a kill of the engine and a restart of the broker, and resume once', async () => {
    const { store: runs, stream: producer } = live();
    const eventRun = await start(workflows.order.name, { orderId: 'r-1' });
    const pauseRun = await start(workflows.pause.name, { ms: 10 });
    await waiting(eventRun);
    await until('the wait timer to be checkpointed', async () => {
      const stored = await runs.get<StreamRunContext>(contextDocId(pauseRun));
      return stored !== undefined && Object.values(stored.timers).some((timer) => timer.id.startsWith('wake:'));
    });
    await (engine as EngineProcess).kill();
    await (broker as TestService).restart();
    // Produced while no engine runs: kept by the broker until the next engine's receiver reads it.
    await producer.produce(`${topicPrefix}${DEFAULT_TOPICS.events}`, 'r-1', [rawEvent('pay-r-1', 'r-1', 21)]);
    await producer.produce(`${topicPrefix}${DEFAULT_TOPICS.events}`, 'r-1', [rawEvent('pay-r-1', 'r-1', 21)]);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    engine = await startEngineProcess({ platform: platform as LocalPlatform, streamUrl: (broker as TestService).url, topicPrefix, name: `${tag}-2` });
    for (const [runId, expected] of [[eventRun, { orderId: 'r-1', payment: { amount: 21 }, waited: 10 }], [pauseRun, { ms: 10, waited: 10 }]] as const) {
      const run = await waitForRun(runs, runId, { timeoutMs: 180_000, pollMs: 200 });
      expect({ status: run.status, output: run.output }).toEqual({ status: 'succeeded', output: expected });
      // Exactly once: the follow-up task was started once, in its first attempt.
      const context = await runs.get<StreamRunContext>(contextDocId(runId));
      expect(Object.keys(context?.state.tasks ?? {}).filter((key) => !key.startsWith('payment:')).sort()).toEqual([runId === eventRun ? 'ship:1:0:1' : 'after:1:0:1']);
    }
  });
});
