/**
 * The CLI as a newcomer meets it, against the local platform: it finds the platform from a wsk
 * properties file alone; `logs` shows a failed task's error and stack and a task's log lines (read
 * from the user action's activation, under the whiskflow/task conductor's); `--json` output parses;
 * a failed run's `status` and `run --wait` exit 2; a workflow that is not deployed is named as such;
 * `--version` prints package.json's version; an unreachable platform is reported with its source.
 */
import { readFileSync, writeFileSync } from 'fs';
import openwhisk from 'openwhisk';
import { join } from 'path';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { cliSession, type CliSession } from '../../../helpers/cli';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../../../..');

const ACTIONS = `
exports.shout = async (params) => {
  console.log('shouting item', params.item);
  return { loud: String(params.item).toUpperCase() };
};
exports.boom = async (params) => {
  console.log('boom got', JSON.stringify(params.item));
  await new Promise((resolve) => setTimeout(resolve, 1));
  throw new Error('boom: item ' + params.item + ' is bad');
};
`;

const workflow = (name: string, action: string): string => `
name: ${name}
stages:
  - id: each
    kind: map
    action: clitest/${action}
    items: $.items
`;

describe('whiskflow CLI against a platform found like wsk finds it', () => {
  let platform: LocalPlatform;
  let session: CliSession;
  let okRun: string;
  let failedRun: string;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    // Nothing in the environment: only the session's own WSK_CONFIG_FILE names the platform.
    session = cliSession(platform, { connection: 'none' });
    writeFileSync(join(session.dir, 'wskprops'), `APIHOST=${platform.apihost}\nAUTH=${platform.auth}\nNAMESPACE=${platform.namespace}\nCOUCHDB_URL=${platform.couchUrl}\n`);
    writeFileSync(join(session.dir, 'actions.js'), ACTIONS);
    writeFileSync(join(session.dir, 'shouting.yaml'), workflow('cli-shouting', 'shout'));
    writeFileSync(join(session.dir, 'failing.yaml'), workflow('cli-failing', 'boom'));
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
  });

  it('deploys and runs from a wsk properties file alone, and prints parseable --json', async () => {
    const deployed = JSON.parse(await session.cli('deploy', join(session.dir, 'shouting.yaml'), '--actions', join(session.dir, 'actions.js'), '--package', 'clitest', '--json'));
    expect(deployed).toMatchObject({ model: 'native', workflow: 'cli-shouting', trigger: 'whiskflow-cli-shouting', actions: ['clitest/shout', 'clitest/boom'] });
    // The run dashboard as the deployment's own web action.
    expect(deployed.dashboard).toBe(`${platform.apihost}/api/v1/web/${platform.namespace}/whiskflow/dashboard.http`);
    const page = await fetch(deployed.dashboard, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-base="/api/v1/web/${platform.namespace}/whiskflow/dashboard.http"`);
    await session.cli('deploy', join(session.dir, 'failing.yaml'));

    const ran = await session.result('run', 'cli-shouting', '--input', JSON.stringify({ items: [{ item: 'a' }, { item: 'b' }, { item: 'c' }] }), '--wait', '--json');
    expect(ran.exitCode).toBe(0);
    const run = JSON.parse(ran.output);
    expect(run).toMatchObject({ workflow: 'cli-shouting', status: 'succeeded' });
    okRun = run.runId;

    const started = JSON.parse(await session.cli('run', 'cli-shouting', '--input', JSON.stringify({ items: [{ item: 'd' }] }), '--json'));
    expect(started).toEqual({ runId: expect.any(String), workflow: 'cli-shouting' });

    expect(JSON.parse(await session.cli('status', okRun, '--json'))).toMatchObject({ runId: okRun, status: 'succeeded' });
    const runs = JSON.parse(await session.cli('runs', '--json', '--workflow', 'cli-shouting'));
    expect(runs.map((item: { runId: string }) => item.runId)).toContain(okRun);
    expect(JSON.parse(await session.cli('manifest', join(session.dir, 'shouting.yaml'), '--json', '--event-key-file', join(session.dir, 'event-key'))).packages.whiskflow.actions.task.annotations.conductor).toBe(true);
  });

  it('shows a task\'s own log lines, read from its user action\'s activation', async () => {
    const logs = await session.cli('logs', okRun, '--task', '1');
    expect(logs).toMatch(/task 1: #1 [0-9a-f]{32} -> ok/);
    expect(logs).not.toMatch(/task 0:/);
    expect(logs).toMatch(/#1 \S*clitest\/shout activation [0-9a-f]{32}: success/);
    expect(logs).toContain('stdout: shouting item b');
    expect(logs).not.toContain('shouting item a');

    const json = JSON.parse(await session.cli('logs', okRun, '--json'));
    const attempts = json.stages[0].tasks.map((task: { attempts: { actionActivations: { logs: string[] }[] }[] }) => task.attempts[0]!.actionActivations[0]!.logs.join('\n'));
    expect(attempts[2]).toContain('shouting item c');
  });

  it('shows a failed task\'s error with its stack, and exits 2 for a failed run', async () => {
    const waited = await session.result('run', 'cli-failing', '--input', JSON.stringify({ items: [{ item: 'x' }, { item: 'y' }] }), '--wait');
    expect(waited.exitCode).toBe(2);
    expect(waited.output).toMatch(/run \S+ failed/);
    failedRun = /started run (\S+)/.exec(waited.output)![1]!;

    const status = await session.result('status', failedRun);
    expect(status.exitCode).toBe(2);
    expect(status.output).toContain(`run ${failedRun} of cli-failing: failed`);

    const logs = await session.cli('logs', failedRun, '--failed');
    expect(logs).toMatch(/task \d: #1 [0-9a-f]{32} -> failed/);
    expect(logs).toMatch(/clitest\/boom activation [0-9a-f]{32}: application error/);
    expect(logs).toMatch(/stdout: boom got "[xy]"/);
    expect(logs).toMatch(/error: boom: item [xy] is bad/);
    // The stack of the thrown error, pointing into the action's code.
    expect(logs).toMatch(/\n\s+at exports\.boom \(.*action\.js:\d+:\d+\)/);
    expect(await session.result('status', okRun)).toMatchObject({ exitCode: 0 });
  });

  it('names a workflow that is not deployed instead of a raw 404', async () => {
    const ran = await session.result('run', 'never-deployed', '--input', '{}');
    expect(ran.exitCode).toBe(1);
    expect(ran.error?.message).toMatch(/^workflow 'never-deployed' is not deployed on \S+ \(from .*wskprops \(APIHOST\)\) — run `whiskflow deploy <workflow file>`/);

    // Its definition is stored but its trigger was deleted by hand: the same, with what is missing.
    await openwhisk({ apihost: platform.apihost, api_key: platform.auth }).triggers.delete({ name: 'whiskflow-cli-failing' });
    const gone = await session.result('run', 'cli-failing', '--input', '{}');
    expect(gone.exitCode).toBe(1);
    expect(gone.error?.message).toMatch(/^workflow 'cli-failing' is not deployed on \S+ \(from .*\): trigger whiskflow-cli-failing or its rule is missing — run `whiskflow deploy/);
  });

  it('prints package.json\'s version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const printed = await session.result('--version');
    expect(printed).toMatchObject({ exitCode: 0, output: `${version}\n` });
  });

  it('says which address it tried, and where it read it, when nothing answers', async () => {
    const failed = await session.result('runs', '--store', 'http://127.0.0.1:9/', '--apihost', 'http://127.0.0.1:9');
    expect(failed.exitCode).toBe(1);
    expect(failed.error?.message).toContain('could not reach the platform');
    expect(failed.error?.message).toContain('OpenWhisk API http://127.0.0.1:9 (from --apihost), run store http://127.0.0.1:9/ (from --store)');
  });

  it('prints parseable --json from sweep and undeploy too', async () => {
    // The run started without --wait may still be going: what the sweep finds is not asserted, its shape is.
    const swept = JSON.parse(await session.cli('sweep', '--json'));
    expect(swept).toMatchObject({ runsChecked: expect.any(Number), redelivered: expect.any(Array), restarted: expect.any(Array) });
    const removed = JSON.parse(await session.cli('undeploy', 'cli-shouting', '--json'));
    expect(removed).toEqual({ workflow: 'cli-shouting', removed: ['rule whiskflow-cli-shouting-rule', 'trigger whiskflow-cli-shouting', 'definition cli-shouting'] });
  });
});
