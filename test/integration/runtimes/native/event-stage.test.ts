/**
 * Event stages and callback tasks on the local platform, native model: an event fired with the real
 * `wsk trigger fire` resumes a waiting run, a duplicate changes nothing, an event sent before the run
 * waits is kept for it, a wait's timeout is caught, a run keeps waiting across a platform restart,
 * and a callback task goes on when `whiskflow complete` reports its token.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { sendEvent } from '../../../../lib/runs/event-client';
import { createRunStore } from '../../../../lib/store/config';
import { eventDocIds, eventsOf } from '../../../../lib/store/event-mailbox';
import type { RunStore } from '../../../../lib/store/run-store';
import { cliSession, type CliSession } from '../../../helpers/cli';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { wsk } from '../../../helpers/openwhisk-cli';
import { until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type TestClient } from '../../../helpers/deployed-platform';

jest.setTimeout(300_000);

const ORDER = `
name: order
stages:
  - id: payment
    kind: event
    type: payment.received
    key: $.orderId
    resultPath: $.payment
  - { id: ship, kind: task, action: fixtures/wait, params: { ms: 10 } }
`;

const waiting = (store: RunStore, runId: string, position = 0) => until(`run ${runId} to wait for its event`, () => store.get(eventDocIds.awaits(runId, position)), 60_000);

describe('event stages on the local platform (native)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-events-'));
  let platform: LocalPlatform | undefined;
  let client: TestClient;
  let store: RunStore;
  let session: CliSession | undefined;

  beforeAll(async () => {
    const deployed = await startDeployedPlatform({ dataDir, couchPort: 0 });
    ({ platform, client, store } = deployed);
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(client, store, parseWorkflow(ORDER));
    await deployWorkflow(client, store, parseWorkflow(`
name: expiring
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, timeout: 2, catch: [{ errors: [whiskflow.Timeout], next: cancelled }] }
  - { id: ship, kind: task, action: fixtures/wait, end: true }
  - { id: cancelled, kind: succeed, output: $.error }
`));
    await deployWorkflow(client, store, parseWorkflow(`
name: approval
stages:
  - { id: ask, kind: task, action: fixtures/wait, callback: true, resultPath: $.answer }
`));
  });

  afterEach(() => {
    session?.restore();
    session = undefined;
  });

  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an event fired with wsk trigger fire resumes the waiting run; the same event again changes nothing', async () => {
    const { runId } = await requestRun(client, 'order', { orderId: 'o-1' });
    await waiting(store, runId);
    session = cliSession(platform!);
    expect(await session.cli('status', runId)).toMatch(/waiting on stage payment: event payment.received with key "o-1"/);
    expect(await session.cli('logs', runId, '--no-activations')).toMatch(/waiting on stage payment: event payment.received with key "o-1"/);

    const fire = () => wsk(platform!, 'trigger', 'fire', 'whiskflow-order',
      '-p', 'specversion', '1.0', '-p', 'type', 'payment.received', '-p', 'id', 'pay-1', '-p', 'source', '/payments',
      '-p', 'key', 'o-1', '-p', 'data', '{"amount":5}');
    await fire();
    const run = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(run).toMatchObject({ status: 'succeeded', output: { orderId: 'o-1', payment: { amount: 5 }, waited: 10 } });

    await fire();
    await until('the duplicate to be handled', async () => (await eventsOf(store, { workflow: 'order' })).length === 1 || undefined, 30_000);
    expect(await session.cli('events', runId)).toMatch(/payment: received payment.received pay-1 \(key "o-1"\)/);
    expect(await store.get(`run/${runId}`)).toMatchObject({ status: 'succeeded', output: run.output });
  });

  it('an event sent before the run waits is kept for it; one no run waits for is listed as pending', async () => {
    session = cliSession(platform!);
    await session.cli('send', 'order', '--type', 'payment.received', '--key', 'o-2', '--data', '{"amount":7}', '--id', 'early');
    await session.cli('send', 'order', '--type', 'payment.received', '--key', 'nobody', '--id', 'stray');
    await until('both events kept', async () => (await eventsOf(store, { workflow: 'order' })).filter((event) => ['early', 'stray'].includes(event.eventId)).length === 2 || undefined, 60_000);
    const { runId } = await requestRun(client, 'order', { orderId: 'o-2' });
    expect(await waitForRun(store, runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { payment: { amount: 7 } } });
    const listed = await session.cli('events', '--workflow', 'order');
    expect(listed).toMatch(new RegExp(`key "o-2" id early: run ${runId}`));
    expect(listed).toMatch(/key "nobody" id stray: pending/);
  });

  it('no event before the timeout: whiskflow.Timeout, caught', async () => {
    const { runId } = await requestRun(client, 'expiring', { orderId: 'o-3' });
    expect(await waitForRun(store, runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { error: 'whiskflow.Timeout', stageId: 'payment' } });
  });

  it('a callback task goes on when whiskflow complete reports its token', async () => {
    const { runId } = await requestRun(client, 'approval', { request: 'r-1' });
    session = cliSession(platform!);
    const status = await until('the callback token in the status', async () => /whiskflow complete (wf1\.\S+)/.exec(await session!.cli('status', runId))?.[1], { timeoutMs: 60_000, retryErrors: true });
    await expect(session.cli('complete', 'wf1.bm90IGEgdG9rZW4', '--result', '{}')).rejects.toThrow(/callback token/);
    await session.cli('complete', status, '--result', '{"approved":true}');
    expect(await waitForRun(store, runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { request: 'r-1', answer: { approved: true } } });
  });

  it('examples/order-payment: paid orders ship, unpaid ones are cancelled at the (shortened) timeout', async () => {
    await deployActionFile(client, { file: join(ROOT, 'examples/order-payment/actions.js'), packageName: 'orders' });
    const workflow = parseWorkflow(readFileSync(join(ROOT, 'examples/order-payment/workflow.yaml'), 'utf8'));
    const payment = workflow.stages.find((stage) => stage.id === 'payment');
    if (payment?.kind !== 'event') throw new Error('the example has no event stage payment');
    expect(payment.timeoutMs).toBe(3_600_000);
    payment.timeoutMs = 3_000;
    await deployWorkflow(client, store, workflow);
    const paid = await requestRun(client, 'order-payment', { orderId: 'o-paid', items: ['book'] });
    const unpaid = await requestRun(client, 'order-payment', { orderId: 'o-unpaid' });
    // Transition 0 is the reserve task; the wait is the run's second transition.
    await waiting(store, paid.runId, 1);
    await sendEvent({ client, store }, 'order-payment', { type: 'payment.received', key: 'o-paid', data: { amount: 25 } });
    expect(await waitForRun(store, paid.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { orderId: 'o-paid', shipped: true, paid: 25 } });
    expect(await waitForRun(store, unpaid.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { orderId: 'o-unpaid', cancelled: true, reason: 'whiskflow.Timeout' } });
  });

  it('a run keeps waiting across a platform restart, and the event resumes it afterwards', async () => {
    const { runId } = await requestRun(client, 'order', { orderId: 'o-4' });
    await waiting(store, runId);
    await platform!.stop();
    platform = await startLocalPlatform({ dataDir, couchPort: 0 });
    client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    await wsk(platform, 'trigger', 'fire', 'whiskflow-order', '-p', 'specversion', '1.0', '-p', 'type', 'payment.received',
      '-p', 'id', 'pay-4', '-p', 'source', '/payments', '-p', 'key', 'o-4', '-p', 'data', '{"amount":9}');
    expect(await waitForRun(store, runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { payment: { amount: 9 } } });
  });
});
