/** Every example under examples/ deployed and run on the local platform, checking its output. */
import { join } from 'path';
import type { Json } from '../../../../lib/model/json';
import { wordCountOf } from '../../../helpers/examples';
import { deployWorkflow } from '../../../../lib/deploy/workflow';
import { deployActionFile } from '../../../../lib/deploy/action-file';
import { requestRun, waitForRun } from '../../../../lib/runs/run-client';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { exampleJson, exampleWorkflow } from '../../../helpers/fixtures';

jest.setTimeout(300_000);

const examples: { dir: string; actions: string; pkg: string; input: Json; expected: Json }[] = [
  { dir: 'map-reduce', actions: 'map-reduce', pkg: 'mapreduce', input: exampleJson('map-reduce/input.json'), expected: { label: 'large', total: 210, parts: 5 } },
  { dir: 'parallel-waits', actions: 'parallel-waits', pkg: 'waits', input: exampleJson('parallel-waits/input.json'), expected: { joined: 80, waitedInAll: 8000 } },
  { dir: 'sequence-of-waits', actions: 'parallel-waits', pkg: 'waits', input: { ms: 100 }, expected: { waited: 300, total: 600 } },
  { dir: 'word-count', actions: 'word-count', pkg: 'wordcount', input: exampleJson('word-count/input.json'), expected: wordCountOf('word-count/text.txt') },
];


describe('examples on the local platform', () => {
  let deployed: DeployedPlatform;

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
  });

  afterAll(async () => {
    await deployed?.platform.stop();
  });

  it.each(examples)('$dir', async ({ dir, actions, pkg, input, expected }) => {
    const { client, store } = deployed;
    await deployActionFile(client, { file: join(ROOT, 'examples', actions, 'actions.js'), packageName: pkg });
    const workflow = exampleWorkflow(dir);
    await deployWorkflow(client, store, workflow);
    const { runId } = await requestRun(client, workflow.name, input);
    const run = await waitForRun(store, runId, { timeoutMs: 240_000 });
    expect(run.failure).toBeUndefined();
    expect(run.output).toEqual(expected);
  });
});
