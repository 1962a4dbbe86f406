/**
 * Wait stages and completion policies on the local platform, native runtime: a wait invokes
 * nothing, survives a platform restart that spans its due time (the upkeep's sweep fires it after
 * the restart), and a timer fired twice wakes the run once; the hedged-request and quorum-write
 * examples run with real actions.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import openwhisk from 'openwhisk';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { startUpkeep, type Upkeep } from '../../../../lib/runtimes/native/upkeep';
import { fireWait } from '../../../../lib/runtimes/native/waits';
import { readEventKey } from '../../../../lib/openwhisk/event-key';
import { parseWorkflow } from '../../../../lib/model/parse';
import { createRunStore } from '../../../../lib/store/config';
import { docIds, type RunDoc, type StageDoc } from '../../../../lib/store/run-documents';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { exampleJson } from '../../../helpers/fixtures';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type TestClient } from '../../../helpers/deployed-platform';

jest.setTimeout(300_000);

const WAITING = `
name: waiting
stages:
  - { id: pause, kind: wait, seconds: 4 }
  - { id: after, kind: task, action: fixtures/wait }
`;

describe('a wait stage on the local platform (native)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-wait-'));
  let platform: LocalPlatform | undefined;
  let upkeep: Upkeep | undefined;

  afterAll(async () => {
    await upkeep?.stop();
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('invokes nothing while it waits, and wakes after a platform restart that spans its due time, once', async () => {
    const deployed = await startDeployedPlatform({ dataDir, couchPort: 0 });
    platform = deployed.platform;
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(WAITING));
    const { runId } = await requestRun(deployed.client, 'waiting', { ms: 10, order: 7 });
    const parked = await until('the run to park at the wait', async () => deployed.store.get<StageDoc>(docIds.stage(runId, 0)));
    expect(parked).toMatchObject({ stageId: 'pause', taskCount: 1, window: 0 });
    expect(parked.wakeAt! - parked.startedAt).toBe(4_000);
    expect(await deployed.store.listByPrefix(docIds.invokesPrefix(runId))).toEqual([]);

    await platform.stop();
    platform = undefined;
    // Down until well past the due time: the alarm-less timer must not be lost with the process.
    await sleep(Math.max(0, parked.wakeAt! - Date.now()) + 1_000);

    const restartedAt = Date.now();
    platform = await startLocalPlatform({ dataDir, couchPort: 0 });
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const rounds: number[] = [];
    upkeep = startUpkeep({ store, client, intervalMs: 500, staleAfterMs: 1_000, platformStartedAt: restartedAt, log: () => undefined, onRound: (round) => rounds.push(round.sweep?.woken.length ?? 0) });
    const run = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ ms: 10, order: 7, waited: 10 });
    expect(rounds.some((woken) => woken > 0)).toBe(true);
    // Exactly once: one stored timer completion, one start of the stage after it.
    expect(await store.listByPrefix(docIds.resultsPrefix(runId, 0))).toHaveLength(1);
    expect((await store.listByPrefix(docIds.invokesPrefix(runId, 1))).map((row) => row.id)).toEqual([docIds.invoke(runId, 1, 0, 1)]);
  });

  it('a timer fired twice at once wakes the run once', async () => {
    await upkeep?.stop();
    upkeep = undefined;
    const client = openwhisk({ apihost: platform!.apihost, api_key: platform!.auth }) as unknown as TestClient;
    const store = createRunStore({ kind: 'couchdb', url: platform!.couchUrl, dbname: 'whiskflow' });
    await deployWorkflow(client, store, parseWorkflow(WAITING.replace('seconds: 4', 'seconds: 0')));
    const { runId } = await requestRun(client, 'waiting', { ms: 10 });
    const parked = await until('the run to park at the wait', async () => store.get<StageDoc>(docIds.stage(runId, 0)));
    const eventKey = await readEventKey(client);
    const run = { runId, workflow: 'waiting', trigger: (await store.get<RunDoc & { trigger: string }>(docIds.run(runId)))!.trigger };
    await Promise.all([fireWait(client, eventKey, run, parked), fireWait(client, eventKey, run, parked)]);
    const ended = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(ended.status).toBe('succeeded');
    expect(await store.listByPrefix(docIds.resultsPrefix(runId, 0))).toHaveLength(1);
    expect(await store.listByPrefix(docIds.invokesPrefix(runId, 1))).toHaveLength(1);
  });
});

describe('completion policies on the local platform (native): the examples', () => {
  let deployed: Awaited<ReturnType<typeof startDeployedPlatform>> | undefined;

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it.each([
    ['hedged-request', { answer: { replica: 'us', waited: 100 }, counted: 1 }],
    ['quorum-write', { acknowledged: true, replicas: ['a', 'c'] }],
  ])('%s', async (dir, expected) => {
    deployed ??= await startDeployedPlatform();
    const { client, store } = deployed;
    await deployActionFile(client, { file: join(ROOT, 'examples/hedged-request/actions.js'), packageName: 'replicas' });
    const workflow = parseWorkflow(readFileSync(join(ROOT, 'examples', dir, 'workflow.yaml'), 'utf8'));
    await deployWorkflow(client, store, workflow);
    const { runId } = await requestRun(client, workflow.name, exampleJson(`${dir}/input.json`));
    const run = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(run.failure).toBeUndefined();
    expect(run.output).toEqual(expected);
  });
});
