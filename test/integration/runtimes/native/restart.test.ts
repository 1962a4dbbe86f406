/**
 * A `whiskflow local`-style platform restarted mid-run (same data dir): the embedded CouchDB keeps
 * its port when it is free, and when another process took it, the whiskflow actions still find their
 * store (the platform tells them its URL at activation time: no redeploy). The upkeep `whiskflow
 * local` runs (scheduled sweep) finishes the interrupted run by itself: the task that was running
 * when the platform stopped fails (its record, or whiskflow.ActivationLost) and is retried.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openwhisk from 'openwhisk';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { startUpkeep, type Upkeep } from '../../../../lib/runtimes/native/upkeep';
import { parseWorkflow } from '../../../../lib/model/parse';
import { startEmbeddedCouch } from '../../../../lib/store/embedded-couch';
import { createRunStore } from '../../../../lib/store/config';
import { docIds, type InvokeDoc } from '../../../../lib/store/run-documents';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type TestClient } from '../../../helpers/deployed-platform';

jest.setTimeout(240_000);

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const portOf = (url: string) => Number(new URL(url).port);

describe('the embedded CouchDB across restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-port-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps the port chosen once, picks another (and says so) when it is taken, and refuses a given port that is taken', async () => {
    const first = await startEmbeddedCouch({ dataDir, port: 0 });
    await first.stop();
    const again = await startEmbeddedCouch({ dataDir, port: 0 });
    await again.stop();
    expect(again.url).toBe(first.url);

    const blocker = await occupy(portOf(first.url));
    const messages: string[] = [];
    try {
      const moved = await startEmbeddedCouch({ dataDir, port: 0, log: (message) => messages.push(message) });
      await moved.stop();
      expect(moved.url).not.toBe(first.url);
      expect(messages.join('\n')).toContain(`port ${portOf(first.url)}`);
      expect(messages.join('\n')).toContain('taken');
      await expect(startEmbeddedCouch({ dataDir, port: portOf(first.url) })).rejects.toThrow(/port \d+ is taken/);
    } finally {
      await close(blocker);
    }
  });
});

describe('a local platform restarted mid-run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-restart-'));
  let platform: LocalPlatform | undefined;
  let upkeep: Upkeep | undefined;
  let blocker: Server | undefined;

  afterAll(async () => {
    await upkeep?.stop();
    await platform?.stop();
    if (blocker) await close(blocker);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes the interrupted run by itself, although CouchDB came back on another port', async () => {
    const deployed = await startDeployedPlatform({ dataDir, couchPort: 0 });
    platform = deployed.platform;
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`
name: interrupted
stages:
  - id: slow
    kind: task
    action: fixtures/wait
    retry: { maxAttempts: 3, backoff: { initialMs: 10 } }
  - id: after
    kind: task
    action: fixtures/wait
`));
    const { runId } = await requestRun(deployed.client, 'interrupted', { ms: 3000 });
    // The task runs (its claim carries the activation) when the platform stops.
    await until('the task to be invoked', async () => (await deployed.store.get<InvokeDoc>(docIds.invoke(runId, 0, 0, 1)))?.activationId);
    const oldCouch = platform.couchUrl;
    await platform.stop();
    platform = undefined;
    // Another process takes the CouchDB port meanwhile: the store moves.
    blocker = await occupy(portOf(oldCouch));

    const restartedAt = Date.now();
    const messages: string[] = [];
    platform = await startLocalPlatform({ dataDir, couchPort: 0, log: (message) => messages.push(message) });
    expect(platform.couchUrl).not.toBe(oldCouch);
    expect(messages.join('\n')).toContain('taken');
    // No redeploy: the deployed orchestrator still has the old URL bound.
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const logged: string[] = [];
    upkeep = startUpkeep({ store, client, intervalMs: 500, staleAfterMs: 1_000, platformStartedAt: restartedAt, log: (message) => logged.push(message) });

    const run = await waitForRun(store, runId, { timeoutMs: 180_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ ms: 3000 });
    expect(logged.join('\n')).toContain(`run ${runId} stage #0 task 0`);
  });
});
