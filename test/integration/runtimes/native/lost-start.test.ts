/**
 * A `run.started` fired while the namespace's invocations are used up (stock OpenWhisk limits): the
 * fire is accepted, the rule's invoke of the orchestrator is refused with 429 (recorded only in the
 * trigger activation's logs), and the run never exists. The sweep finds the fire in the trigger's
 * activation records and fires it again: the run starts once and completes; a second sweep does
 * nothing; a start that was merely slow (within the stale window, then delivered late) is not
 * started twice. A plain payload (as `wsk trigger fire` or a feed sends it, naming no run) refused
 * the same way is fired again under its start key, and one that began is left alone: the key the
 * trigger activation's rule line names is the one the orchestrator activation claimed. The same for
 * a workflow deployed as wskdeploy deploys `whiskflow manifest` (no workflow document in the store).
 */
import { join } from 'path';
import { runStartedEvent, toPayload } from '../../../../lib/runtimes/native/events';
import { waitForRun } from '../../../../lib/runs/run-client';
import { describeRun } from '../../../../lib/runs/run-view';
import { sweepRuns } from '../../../../lib/runtimes/native/sweep';
import type { JsonObject } from '../../../../lib/model/json';
import { parseWorkflow } from '../../../../lib/model/parse';
import { deliverEvent, ruleOutcomes } from '../../../../lib/openwhisk/deliver';
import { docIds, newRunId, type StartDoc } from '../../../../lib/store/run-documents';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { workflowTrigger } from '../../../../lib/openwhisk/names';
import { sleep, until } from '../../../helpers/until';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { exhaustInvocationQuota, nextMinute } from './invocation-quota';
import { deployManifestTriggers } from './manifest-deployment';

jest.setTimeout(300_000);

const WORKFLOW = 'startless';
type FireRecord = { activationId: string; start: number; logs?: unknown[] };
const TRIGGER = workflowTrigger(WORKFLOW);
const MANIFEST_WORKFLOW = 'startless-manifest';
const STAGES = `
stages:
  - id: twice
    kind: task
    action: fixtures/double
`;

describe('sweeping runs whose start was refused by the rule (stock limits)', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform({ stockLimits: true });
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures', mains: ['double'] });
    await deployWorkflow(deployed.client, deployed.store, parseWorkflow(`name: ${WORKFLOW}${STAGES}`));
    await deployManifestTriggers(deployed.client, `name: ${MANIFEST_WORKFLOW}${STAGES}`);
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  /** Fires a run.started as `wsk trigger fire` would (no redelivery): returns the trigger activation record. */
  async function fireStart(payload: JsonObject, trigger = TRIGGER): Promise<FireRecord> {
    const { activationId } = await deployed.client.triggers.invoke({ name: trigger, params: payload });
    if (!activationId) throw new Error(`${trigger} has no active rule`);
    return until('the fire is recorded', async () => (await deployed.client.activations.get({ name: activationId }).catch(() => undefined)) as FireRecord | undefined);
  }

  it('starts the run exactly once after the stale window; a second sweep does nothing; a slow start is not started twice', async () => {
    const { client, store } = deployed;
    const lostRun = newRunId();
    const slowRun = newRunId();
    const lost = toPayload(runStartedEvent(WORKFLOW, lostRun, { value: 21 }));
    const slow = toPayload(runStartedEvent(WORKFLOW, slowRun, { value: 5 }));

    await exhaustInvocationQuota(client);
    const lostFire = await fireStart(lost);
    const plainFire = await fireStart({ input: { value: 4 } });
    const manifestFire = await fireStart({ input: { value: 3 } }, workflowTrigger(MANIFEST_WORKFLOW));
    await sleep(1_000);
    const slowFire = await fireStart(slow);
    // The fires were accepted, and the rule's invoke of the orchestrator refused: the starts are gone.
    for (const fire of [lostFire, plainFire, manifestFire, slowFire]) expect(ruleOutcomes(fire.logs)).toEqual([expect.objectContaining({ success: false, statusCode: 429 })]);
    await sleep(500);
    expect(await store.get(docIds.run(lostRun))).toBeUndefined();

    // In the next minute the quota is free again (else the sweep's own fire waits for it, retrying).
    await nextMinute();
    // Stale: the first fire, not the second (the midpoint between them, instead of racing the clock).
    const now = Date.now();
    const staleAfterMs = now - Math.round((plainFire.start + slowFire.start) / 2);
    const report = await sweepRuns({ store, client, now: () => now, staleAfterMs });
    const plainKey = `t-${plainFire.activationId}`;
    expect(report.restarted).toEqual(expect.arrayContaining([
      expect.objectContaining({ runId: lostRun, workflow: WORKFLOW, lostActivationId: lostFire.activationId }),
      expect.objectContaining({ startKey: plainKey, workflow: WORKFLOW, lostActivationId: plainFire.activationId }),
      expect.objectContaining({ startKey: `t-${manifestFire.activationId}`, workflow: MANIFEST_WORKFLOW, lostActivationId: manifestFire.activationId }),
    ]));
    expect(report.restarted).toHaveLength(3);
    expect(await waitForRun(store, lostRun, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', output: { value: 42 } });
    const plainRun = (await until('the plain start is claimed', () => store.get<StartDoc>(docIds.start(plainKey)))).runId;
    expect(await waitForRun(store, plainRun, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', input: { value: 4 }, output: { value: 8 } });
    // The workflow without a document: started from the definition its trigger carries.
    const manifestRun = (await until('the manifest workflow\'s start is claimed', () => store.get<StartDoc>(docIds.start(`t-${manifestFire.activationId}`)))).runId;
    expect(await waitForRun(store, manifestRun, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', workflow: MANIFEST_WORKFLOW, output: { value: 6 } });

    // A plain start that was not refused: the orchestrator activation its rule line names claimed it.
    const beganFire = await fireStart({ input: { value: 6 } });
    const [beganLine] = ruleOutcomes(beganFire.logs);
    expect(beganLine).toMatchObject({ success: true, activationId: expect.any(String) });
    const beganRun = (await until('the plain start is claimed', () => store.get<StartDoc>(docIds.start(`a-${beganLine!.activationId}`)))).runId;
    expect(await waitForRun(store, beganRun, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', output: { value: 12 } });

    // The slow start arrives late (as a redelivery would bring it) and starts its run by itself.
    await deliverEvent(client, TRIGGER, WORKFLOW, slow, Date.now() + 60_000);
    expect(await waitForRun(store, slowRun, { timeoutMs: 60_000 })).toMatchObject({ status: 'succeeded', output: { value: 10 } });

    // Everything is stale now: every start began (the sweep's own fire of the plain start carries its key), so nothing is fired again.
    const again = await sweepRuns({ store, client, staleAfterMs: 0 });
    expect(again.restarted).toEqual([]);
    expect(again.startsChecked).toBeGreaterThanOrEqual(5);

    // Each run was started by one orchestrator activation, and its task ran once.
    const orchestrations = await client.activations.list({ name: 'orchestrator', limit: 200, docs: true } as never) as unknown as { response: { result: { outcome?: string; runId?: string } } }[];
    for (const runId of [lostRun, slowRun, plainRun, manifestRun, beganRun]) {
      const starts = orchestrations.map((activation) => activation.response.result).filter((result) => result.runId === runId && (result.outcome === 'started' || result.outcome === 'duplicate'));
      expect(starts.map((result) => result.outcome)).toEqual(['started']);
      const view = (await describeRun(store, runId))!;
      expect(view.stages.map((stage) => [stage.stageId, stage.tasks.map((task) => task.attempts.length)])).toEqual([['twice', [1]]]);
    }
  });
});
