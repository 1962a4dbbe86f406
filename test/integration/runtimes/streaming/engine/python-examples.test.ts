/**
 * The prototype's Python functions as whiskflow tasks: examples/python-map-reduce and
 * python-word-count, plain Python OpenWhisk actions deployed by `whiskflow deploy --actions
 * actions.py` (deployActionFile), run natively and under the streaming engine on Redis, on one local
 * platform. Both models must give the results of the JavaScript examples.
 */
import { join } from 'node:path';
import type { Json } from '../../../../../lib/model/json';
import { deployActionFile } from '../../../../../lib/deploy/action-file';
import { deployWorkflow } from '../../../../../lib/deploy/workflow';
import { wordCountOf } from '../../../../helpers/examples';
import { requireRedis, type TestService } from '../../../../helpers/services';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../../helpers/deployed-platform';
import { comparableRecord, runUnder, startStreamingModel, type Model, type StreamingModel } from '../../../../helpers/two-models';
import { exampleJson, exampleWorkflow } from '../../../../helpers/fixtures';

jest.setTimeout(300_000);

const MODELS: readonly Model[] = ['native', 'redis'];

const examples: { dir: string; pkg: string; input: Json; expected: Json }[] = [
  { dir: 'python-map-reduce', pkg: 'pymapreduce', input: exampleJson('python-map-reduce/input.json'), expected: { label: 'large', total: 210, parts: 5 } },
  { dir: 'python-map-reduce', pkg: 'pymapreduce', input: { chunks: [{ numbers: [1, 2] }, { numbers: [3] }] }, expected: { label: 'small', total: 6, parts: 2 } },
  // The JavaScript example's text and expectation: the Python tasks must count alike.
  { dir: 'python-word-count', pkg: 'pywordcount', input: exampleJson('word-count/input.json'), expected: wordCountOf('word-count/text.txt') },
];

describe('the Python examples under the native and the streaming model (Redis)', () => {
  let deployed: DeployedPlatform | undefined;
  let redis: TestService | undefined;
  let streaming: Partial<Record<Model, StreamingModel>> = {};

  beforeAll(async () => {
    [deployed, redis] = await Promise.all([startDeployedPlatform(), requireRedis()]);
    const { client, store } = deployed;
    for (const dir of ['python-map-reduce', 'python-word-count']) {
      const pkg = examples.find((example) => example.dir === dir)!.pkg;
      const names = await deployActionFile(client, { file: join(ROOT, 'examples', dir, 'actions.py'), packageName: pkg });
      expect(names.length).toBe(3);
      await deployWorkflow(client, store, exampleWorkflow(dir));
    }
    streaming = { redis: await startStreamingModel(deployed, redis.url, 'redis') };
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(Object.values(streaming).map((model) => model.stop()));
    await Promise.allSettled([deployed?.platform.stop(), redis?.stop()]);
  });

  it('deploys the tasks as python actions (kind python:default stored as the concrete kind)', async () => {
    const action = (await (deployed as DeployedPlatform).client.actions.get({ name: 'pymapreduce/sum' })) as unknown as { exec: { kind: string } };
    expect(action.exec.kind).toMatch(/^python:3(\.\d+)?$/);
  });

  it.each(examples)('$dir → $expected', async ({ dir, input, expected }) => {
    const live = deployed as DeployedPlatform;
    const workflow = exampleWorkflow(dir).name;
    const heads = await Promise.all(MODELS.map((model) => runUnder(model, live, streaming, workflow, input, 240_000)));
    for (const [index, head] of heads.entries()) {
      expect({ model: MODELS[index], failure: head.failure ?? null, output: head.output }).toEqual({ model: MODELS[index], failure: null, output: expected });
    }
    const records = await Promise.all(heads.map((head) => comparableRecord(live.store, head)));
    expect({ model: 'redis', record: records[1] }).toEqual({ model: 'redis', record: records[0] });
  });
});
