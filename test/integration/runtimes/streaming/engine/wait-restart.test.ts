/**
 * A wait stage under the streaming model (Redis Streams, real server) survives a restart of the
 * engines while it waits: its timer is part of the checkpointed run context, so new engines on the
 * same topics fire it after the due time has passed with nobody running, once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWorkflow } from '../../../../../lib/model/parse';
import { startStreamRun } from '../../../../../lib/runtimes/streaming';
import { contextDocId, type StreamRunContext } from '../../../../../lib/runtimes/streaming/run-context';
import { waitForRun } from '../../../../../lib/runs/run-client';
import { deployActionFile } from '../../../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../../../lib/deploy/workflow';
import { exampleJson } from '../../../../helpers/fixtures';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { until } from '../../../../helpers/until';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../../helpers/deployed-platform';
import { runUnder, startStreamingModel, type StreamingModel } from '../../../../helpers/two-models';

jest.setTimeout(300_000);

describe('wait stages and completion policies under the streaming model (Redis)', () => {
  let deployed: DeployedPlatform | undefined;
  let redis: TestService | undefined;
  let model: StreamingModel | undefined;

  beforeAll(async () => {
    [deployed, redis] = await Promise.all([startDeployedPlatform(), requireRedis()]);
    await deployActionFile(deployed.client, { file: join(ROOT, 'test/fixtures/actions/test-actions.js'), packageName: 'fixtures' });
    await deployActionFile(deployed.client, { file: join(ROOT, 'examples/hedged-request/actions.js'), packageName: 'replicas' });
  }, 180_000);

  afterAll(async () => {
    await model?.stop();
    await Promise.allSettled([deployed?.platform.stop(), redis?.stop()]);
  });

  it('a wait survives a restart of the engines that spans its due time, and wakes once', async () => {
    const live = deployed as DeployedPlatform;
    await deployWorkflow(live.client, live.store, parseWorkflow(`
name: streaming-waiting
stages:
  - { id: pause, kind: wait, seconds: 3 }
  - { id: after, kind: task, action: fixtures/wait }
`));
    model = await startStreamingModel(live, (redis as TestService).url, 'redis');
    const topics = model.topics;
    const runId = await startStreamRun(model.stream, { workflow: 'streaming-waiting', input: { ms: 10 }, topic: topics.completions });
    const context = await until('the wait timer to be checkpointed', async () => {
      const stored = await live.store.get<StreamRunContext>(contextDocId(runId));
      return stored && Object.values(stored.timers).some((timer) => timer.id.startsWith('wake:')) ? stored : undefined;
    });
    const due = Date.parse(Object.values(context.timers).find((timer) => timer.id.startsWith('wake:'))!.due);
    await model.stop();
    model = undefined;
    await sleep(Math.max(0, due - Date.now()) + 1_000);
    model = await startStreamingModel(live, (redis as TestService).url, 'redis', topics);
    const run = await waitForRun(live.store, runId, { timeoutMs: 120_000, pollMs: 100 });
    expect(run.status).toBe('succeeded');
    expect(run.output).toMatchObject({ ms: 10, waited: 10 });
    const ended = await live.store.get<StreamRunContext>(contextDocId(runId));
    expect(Object.keys(ended?.state.tasks ?? {})).toEqual(['after:1:0:1']);
  });

  it.each([
    ['hedged-request', { answer: { replica: 'us', waited: 100 }, counted: 1 }],
    ['quorum-write', { acknowledged: true, replicas: ['a', 'c'] }],
  ])('the %s example', async (dir, expected) => {
    const live = deployed as DeployedPlatform;
    model ??= await startStreamingModel(live, (redis as TestService).url, 'redis');
    const workflow = parseWorkflow(readFileSync(join(ROOT, 'examples', dir, 'workflow.yaml'), 'utf8'));
    await deployWorkflow(live.client, live.store, workflow);
    const run = await runUnder('redis', live, { redis: model }, workflow.name, exampleJson(`${dir}/input.json`));
    expect(run.failure).toBeUndefined();
    expect(run.output).toEqual(expected);
  });
});
