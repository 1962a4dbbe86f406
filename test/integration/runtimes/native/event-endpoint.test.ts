/**
 * The deployment's HTTP endpoint for events and callbacks (web action whiskflow/events) on the
 * local platform, driven with plain fetch: a structured and a binary-mode CloudEvent resume waiting
 * runs, requests without the sender token are refused; a callback is completed over HTTP; a
 * callback whose heartbeats stop fails with whiskflow.HeartbeatTimeout (caught); and an event
 * stage's timeout stays armed across a platform restart (fired by the upkeep's sweep, once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { eventsEndpointUrl } from '../../../../lib/deploy/runtime';
import { eventEndpointToken } from '../../../../lib/events/event-seal';
import { readEventKey } from '../../../../lib/openwhisk/event-key';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { startUpkeep, type Upkeep } from '../../../../lib/runtimes/native/upkeep';
import { createRunStore } from '../../../../lib/store/config';
import { eventDocIds } from '../../../../lib/store/event-mailbox';
import { docIds, type InvokeDoc } from '../../../../lib/store/run-documents';
import type { RunStore } from '../../../../lib/store/run-store';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { until, sleep } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type TestClient } from '../../../helpers/deployed-platform';

jest.setTimeout(300_000);

const callbackClaim = (store: RunStore, runId: string) => until(`run ${runId}'s callback token`, async () => {
  const rows = await store.listByPrefix<InvokeDoc>(docIds.invokesPrefix(runId), { includeDocs: true });
  return rows.find((row) => row.doc?.callbackToken)?.doc;
}, 60_000);

describe('the HTTP endpoint for events and callbacks (native, local platform)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-endpoint-'));
  let platform: LocalPlatform | undefined;
  let client: TestClient;
  let store: RunStore;
  let url: string;
  let upkeep: Upkeep | undefined;
  const post = (path: string, body: unknown, headers: Record<string, string>) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });

  beforeAll(async () => {
    ({ platform, client, store } = await startDeployedPlatform({ dataDir, couchPort: 0 }));
    await deployActionFile(client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(client, store, parseWorkflow('name: order\nstages: [{ id: payment, kind: event, type: payment.received, key: $.orderId, resultPath: $.payment }]'));
    await deployWorkflow(client, store, parseWorkflow(`
name: approval
stages:
  - { id: ask, kind: task, action: fixtures/wait, callback: true, heartbeatSeconds: 3, resultPath: $.answer, catch: [{ errors: [whiskflow.HeartbeatTimeout], next: silent }] }
  - { id: done, kind: succeed }
  - { id: silent, kind: succeed, output: $.error }
`));
    await deployWorkflow(client, store, parseWorkflow(`
name: expiring
stages:
  - { id: payment, kind: event, type: payment.received, key: $.orderId, timeout: 4, catch: [{ errors: [whiskflow.Timeout], next: cancelled }] }
  - { id: paid, kind: succeed }
  - { id: cancelled, kind: succeed, output: $.error }
`));
    url = await eventsEndpointUrl(client, platform.apihost);
  });

  afterAll(async () => {
    await upkeep?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a structured and a binary-mode CloudEvent resume waiting runs; no token, no event', async () => {
    const token = eventEndpointToken((await readEventKey(client))!, 'order');
    const [first, second] = await Promise.all([requestRun(client, 'order', { orderId: 'h-1' }), requestRun(client, 'order', { orderId: 'h-2' })]);
    await until('both runs to wait', async () => (await store.get(eventDocIds.awaits(first.runId, 0))) && store.get(eventDocIds.awaits(second.runId, 0)), 60_000);

    const refused = await post('/events/order', { specversion: '1.0', id: 'x', type: 'payment.received', source: '/pay', key: 'h-1' }, { 'content-type': 'application/cloudevents+json' });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: expect.stringMatching(/sender token/) });

    const structured = await post('/events/order', { specversion: '1.0', id: 'http-1', type: 'payment.received', source: '/pay', key: 'h-1', data: { amount: 3 } },
      { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${token}` });
    expect(structured.status).toBe(202);
    const binary = await post('/events/order', { amount: 4 }, {
      'content-type': 'application/json', authorization: `Bearer ${token}`,
      'ce-specversion': '1.0', 'ce-id': 'http-2', 'ce-type': 'payment.received', 'ce-source': '/pay', 'ce-key': 'h-2',
    });
    expect(binary.status).toBe(202);
    expect(await waitForRun(store, first.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { orderId: 'h-1', payment: { amount: 3 } } });
    expect(await waitForRun(store, second.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { orderId: 'h-2', payment: { amount: 4 } } });
  });

  it('a callback is completed over HTTP; one whose heartbeats stop fails with whiskflow.HeartbeatTimeout, caught', async () => {
    upkeep = startUpkeep({ store, client, intervalMs: 500, staleAfterMs: 1_000, platformStartedAt: 0, log: () => undefined });
    const [answered, silent] = await Promise.all([requestRun(client, 'approval', { request: 'a' }), requestRun(client, 'approval', { request: 'b' })]);
    const claim = await callbackClaim(store, answered.runId);
    const silentClaim = await callbackClaim(store, silent.runId);
    expect((await post('/callbacks/heartbeat', { token: silentClaim.callbackToken }, { 'content-type': 'application/json' })).status).toBe(202);
    expect((await post('/callbacks/complete', { token: `${claim.callbackToken!}x` }, { 'content-type': 'application/json' })).status).toBe(400);
    // Kept alive by heartbeats until it is answered.
    for (let beat = 0; beat < 3; beat += 1) {
      expect((await post('/callbacks/heartbeat', { token: claim.callbackToken }, { 'content-type': 'application/json' })).status).toBe(202);
      await sleep(1_000);
    }
    expect((await post('/callbacks/complete', { token: claim.callbackToken, result: { approved: true } }, { 'content-type': 'application/json' })).status).toBe(202);
    expect(await waitForRun(store, answered.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { request: 'a', answer: { approved: true } } });
    expect(await waitForRun(store, silent.runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { error: 'whiskflow.HeartbeatTimeout', stageId: 'ask' } });
    expect(await store.get(docIds.heartbeat(silent.runId, 0, 0, 1))).toMatchObject({ count: 1 });
    await upkeep.stop();
    upkeep = undefined;
  });

  it('an event stage\'s timeout survives a platform restart that spans it: fired once by the sweep after the restart', async () => {
    const { runId } = await requestRun(client, 'expiring', { orderId: 'never-paid' });
    const claim = await until('the wait\'s claim with its deadline', async () => (await store.get<InvokeDoc>(docIds.invoke(runId, 0, 0, 1)))?.deadline !== undefined || undefined, 60_000)
      .then(() => store.get<InvokeDoc>(docIds.invoke(runId, 0, 0, 1)));
    // Down across the deadline: the timer action that was sleeping for it dies with the platform.
    await platform!.stop();
    platform = undefined;
    await sleep(Math.max(0, claim!.deadline! - Date.now()) + 1_000);
    const restartedAt = Date.now();
    platform = await startLocalPlatform({ dataDir, couchPort: 0 });
    client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const expired: number[] = [];
    upkeep = startUpkeep({ store, client, intervalMs: 500, staleAfterMs: 1_000, platformStartedAt: restartedAt, log: () => undefined, onRound: (round) => expired.push(round.sweep?.expired.length ?? 0) });
    expect(await waitForRun(store, runId, { timeoutMs: 120_000 })).toMatchObject({ status: 'succeeded', output: { error: 'whiskflow.Timeout', stageId: 'payment' } });
    expect(expired.some((count) => count > 0)).toBe(true);
    expect(await store.listByPrefix(docIds.resultsPrefix(runId, 0))).toHaveLength(1);
  });
});
