/**
 * End to end on real services: the local OpenWhisk-compatible platform (reached only through the
 * `openwhisk` client, as a real OpenWhisk would be), Redis Streams, and both engines. The actions
 * are unmodified: the Rule Engine starts them non-blocking and watches their activations by id.
 */
import openwhisk from 'openwhisk';
import { createEventStream, type EventStream } from '../../../../../lib/runtimes/streaming/brokers';
import { OpenWhiskStreamInvoker, startStreamRun, startStreamingEngines, WorkflowCatalog, type StreamingEngines } from '../../../../../lib/runtimes/streaming';
import type { StreamTasksClient } from '../../../../../lib/openwhisk/client';
import { INVOKE_CLAIM_PREFIX, type InvokeClaim } from '../../../../../lib/runtimes/streaming/invoke-claims';
import { MemoryRunStore } from '../../../../../lib/store/memory';
import { startLocalPlatform, type LocalPlatform } from '../../../../helpers/local-platform';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { startTogether } from '../../../../helpers/start-together';
import { finishedRun } from '../../../../helpers/streaming/engines';
import { fixtureWorkflow } from '../../../../helpers/fixtures';

jest.setTimeout(120_000);

describe('streaming engines with the local OpenWhisk platform and Redis', () => {
  let redis: TestService | undefined;
  let platform: LocalPlatform | undefined;
  let stream: EventStream | undefined;
  let engines: StreamingEngines | undefined;

  beforeAll(async () => {
    [redis, platform] = await startTogether([requireRedis(), startLocalPlatform()]);
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth });
    await ow.actions.create({ name: 'sum', action: 'function main(p) { return { sum: p.value.reduce((a, b) => a + b, 0) }; }' });
    await ow.actions.create({
      name: 'sumall',
      action: 'function main(p) { return { sum: p.results.reduce((a, r) => a + r.sum, 0), order: p.results.map((r) => r.sum) }; }',
    });
  });

  afterAll(async () => {
    await engines?.stop();
    await stream?.close();
    await Promise.allSettled([platform?.stop(), redis?.stop()]);
  });

  it('runs map-reduce: five sums invoked non-blocking, joined in chunk order, one sumall', async () => {
    const store = new MemoryRunStore();
    const live = platform as LocalPlatform;
    stream = createEventStream((redis as TestService).url, { partitions: 4 });
    const topics = { completions: 'ow-completions', orchestration: 'ow-orchestration' };
    engines = await startStreamingEngines({
      stream,
      store,
      topics,
      workflows: new WorkflowCatalog([fixtureWorkflow('mapreduce')]),
      invoker: new OpenWhiskStreamInvoker(openwhisk({ apihost: live.apihost, api_key: live.auth }) as unknown as StreamTasksClient),
      rule: { pollIntervalMs: 50 },
    });

    const runId = await startStreamRun(stream, { workflow: 'mapreduce', input: { chunks: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]] }, topic: topics.completions });
    const head = await finishedRun(store, runId);

    expect(head).toMatchObject({ status: 'succeeded', output: { sum: 55, order: [3, 7, 11, 15, 19] } });
    const claims = (await store.listByPrefix<InvokeClaim>(INVOKE_CLAIM_PREFIX, { includeDocs: true })).map((row) => row.doc);
    expect(claims.map((claim) => claim?.action).sort()).toEqual(['sum', 'sum', 'sum', 'sum', 'sum', 'sumall']);
    expect(claims.every((claim) => typeof claim?.activationId === 'string' && claim.reported === true)).toBe(true);
  });
});
