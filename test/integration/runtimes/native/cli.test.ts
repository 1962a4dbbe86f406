/**
 * The workflow CLI verbs against the local platform, as the lead wires them into lib/cli/main.ts:
 * deploy (with the example's actions), run --wait, status, logs, runs, manifest, undeploy.
 */
import openwhisk from 'openwhisk';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse as parseYaml } from 'yaml';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { cliSession, type CliSession } from '../../../helpers/cli';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../../../..');

describe('whiskflow workflow commands', () => {
  let platform: LocalPlatform;
  let tmp: string;
  let session: CliSession;
  const cli = (...args: string[]): Promise<string> => session.cli(...args);

  beforeAll(async () => {
    platform = await startLocalPlatform();
    tmp = mkdtempSync(join(tmpdir(), 'whiskflow-cli-'));
    session = cliSession(platform);
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('deploys, runs with --wait, shows status, logs and runs, writes a manifest and undeploys', async () => {
    const example = join(ROOT, 'examples/map-reduce');
    const deployedText = await cli('deploy', example, '--actions', join(example, 'actions.js'), '--package', 'mapreduce');
    expect(deployedText).toContain('ok: deployed workflow map-reduce (trigger whiskflow-map-reduce, rule whiskflow-map-reduce-rule)');
    expect(deployedText).toMatch(/^runs: http:\/\/\S+\/api\/v1\/web\/\w+\/whiskflow\/dashboard\.http \(the whiskflow\/dashboard web action\)$/m);

    const ran = await cli('run', 'map-reduce', '--input', join(example, 'input.json'), '--wait');
    const runId = /started run (\S+)/.exec(ran)?.[1];
    expect(runId).toBeDefined();
    expect(ran).toContain(`run ${runId} succeeded`);
    expect(ran).toContain('"total": 210');

    expect(await cli('status', runId!)).toContain(`run ${runId} of map-reduce: succeeded`);
    const logs = await cli('logs', runId!);
    expect(logs).toMatch(/\[0\] partial-sums: 5\/5 done, \d+ ms/);
    expect(logs.match(/task \d: #1 [0-9a-f]{32} -> ok/g)).toHaveLength(7);
    expect(await cli('runs')).toContain(runId);
    // Nothing is running any more, and the run's start found its run: there is nothing to sweep.
    const swept = await cli('sweep', '--stale-after', '0');
    expect(swept).toContain('checked 0 running run(s): 0 completion(s) re-delivered');
    expect(swept).toContain('checked 1 run start(s): 0 start(s) that never began fired again');

    const manifestFile = join(tmp, 'manifest.yaml');
    await cli('manifest', example, '-o', manifestFile, '--event-key-file', join(tmp, 'event-key'));
    const manifest = parseYaml(readFileSync(manifestFile, 'utf8'));
    expect(Object.keys(manifest.packages.whiskflow.actions)).toEqual(['orchestrator', 'task', 'timer', 'sweeper', 'dashboard', 'events']);
    expect(manifest.packages.whiskflow.actions.task.annotations.conductor).toBe(true);
    expect(manifest.packages.whiskflow.rules['whiskflow-map-reduce-rule']).toEqual({ trigger: 'whiskflow-map-reduce', action: 'whiskflow/orchestrator' });
    expect(manifest.packages.whiskflow.triggers['whiskflow-map-reduce'].inputs.whiskflowDefinition.value.name).toBe('map-reduce');

    expect(await cli('undeploy', 'map-reduce')).toBe('ok: removed rule whiskflow-map-reduce-rule, trigger whiskflow-map-reduce, definition map-reduce');
    expect(await cli('undeploy', 'map-reduce')).toBe('nothing to remove');
  });

  it('deploys the whiskflow actions with the limits asked for, and names a bad limit', async () => {
    const example = join(ROOT, 'examples/sequence-of-waits');
    // Its actions are not deployed: refused by name unless allowed.
    await expect(cli('deploy', example)).rejects.toThrow(/do not exist: waits\/wait\. .*--allow-missing-actions/);
    await cli('deploy', example, '--concurrency', '8', '--memory', '512', '--allow-missing-actions');
    const ow = openwhisk({ apihost: platform.apihost, api_key: platform.auth });
    for (const name of ['whiskflow/orchestrator', 'whiskflow/task', 'whiskflow/timer']) {
      const action = await ow.actions.get({ name });
      expect(action.limits).toMatchObject({ concurrency: 8, memory: 512 });
    }
    await expect(cli('deploy', example, '--concurrency', '0')).rejects.toThrow("option '--concurrency <n>' argument '0' is invalid. expected a positive integer");
    // Without --concurrency: the default, which the local platform allows.
    await cli('deploy', example, '--allow-missing-actions');
    for (const name of ['whiskflow/orchestrator', 'whiskflow/task', 'whiskflow/timer']) {
      expect((await ow.actions.get({ name })).limits).toMatchObject({ concurrency: 32 });
    }
    // A concurrency the platform refuses fails the deploy, with the platform's reason.
    await expect(cli('deploy', example, '--concurrency', '501', '--allow-missing-actions')).rejects.toThrow(/concurrency 501 exceeds allowed threshold of 500/);
    await cli('undeploy', 'sequence-of-waits');
  });
});
