/**
 * The Python examples through the tools a user has: `whiskflow deploy --actions actions.py` (the
 * kind from the extension) then `whiskflow run --wait`, and the example's wskdeploy manifest
 * (python:default actions) deployed by the real wskdeploy.
 */
import { join } from 'path';
import openwhisk from 'openwhisk';
import { cliSession, type CliSession } from '../../../helpers/cli';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { runToolOk } from '../../../helpers/openwhisk-cli';

jest.setTimeout(240_000);

const ROOT = join(__dirname, '../../../..');

describe('the Python examples through whiskflow deploy and wskdeploy', () => {
  let platform: LocalPlatform;
  let session: CliSession;
  const cli = (...args: string[]): Promise<string> => session.cli(...args);

  beforeAll(async () => {
    platform = await startLocalPlatform();
    session = cliSession(platform);
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
  });

  it('whiskflow deploy --actions actions.py deploys Python actions, and the workflow runs on them', async () => {
    const example = join(ROOT, 'examples/python-map-reduce');
    const deployed = await cli('deploy', example, '--actions', join(example, 'actions.py'), '--package', 'pymapreduce');
    expect(deployed).toContain('ok: deployed actions pymapreduce/sum, pymapreduce/sumall, pymapreduce/label');
    const ran = await cli('run', 'python-map-reduce', '--input', join(example, 'input.json'), '--wait');
    expect(ran).toMatch(/run \S+ succeeded/);
    expect(ran).toContain('"total": 210');
    expect(ran).toContain('"label": "large"');
  });

  it('wskdeploy deploys the example\'s manifest of python:default actions, which answer', async () => {
    await runToolOk('wskdeploy', ['-m', join(ROOT, 'examples/python-word-count/manifest.yaml')], platform);
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth });
    const action = (await ow.actions.get({ name: 'pywordcount/count' })) as unknown as { exec: { kind: string } };
    expect(action.exec.kind).toMatch(/^python:3\.\d+$/);
    const counted = await ow.actions.invoke({ name: 'pywordcount/count', params: { text: "The fox, the dog's fox" }, blocking: true, result: true });
    expect(counted).toEqual({ counts: { the: 2, fox: 2, "dog's": 1 }, words: 5 });
  });
});
