/**
 * examples/daily-report as its README wires it, on the local platform: `whiskflow deploy --cron`
 * (the platform's `/whisk.system/alarms` feed) starts the run, which waits for the day's file; a
 * changes feed on the `files` database (`/whisk.system/cloudant/changes`, created with the real
 * `wsk`) fires a trigger whose rule runs `report/announce`, and that turns the written document into
 * the `report.file.arrived` event the run waits for. Without a document the timeout's catch reports
 * the file missing (with the actions deployed by the example's wskdeploy manifest).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForRun } from '../../../../lib/runs/run-client';
import { eventDocIds, type WaiterDoc } from '../../../../lib/store/event-mailbox';
import type { RunDoc } from '../../../../lib/store/run-documents';
import { cliSession, type CliSession } from '../../../helpers/cli';
import { ROOT, startDeployedPlatform, type DeployedPlatform } from '../../../helpers/deployed-platform';
import { runToolOk, wsk } from '../../../helpers/openwhisk-cli';
import { until } from '../../../helpers/until';

jest.setTimeout(300_000);

const EXAMPLE = join(ROOT, 'examples/daily-report');

/** The platform's CouchDB as a user reaches it: its base URL and Basic credentials. */
function couchOf(couchUrl: string): { base: string; authorization: string; host: string; port: string; username: string; password: string } {
  const url = new URL(couchUrl);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const { hostname: host, port } = url;
  url.username = '';
  url.password = '';
  return { base: url.toString().replace(/\/$/, ''), authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`, host, port, username, password };
}

/** A cron pattern (with seconds, as the alarms feed takes it) that fires once a day, at `epochMs` (local time, like the feed's). */
function dailyCronAt(epochMs: number): string {
  const at = new Date(epochMs);
  return `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`;
}

describe('examples/daily-report on the local platform (native)', () => {
  let deployed: DeployedPlatform;
  let session: CliSession;
  let couch: ReturnType<typeof couchOf>;
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-daily-report-'));

  const put = async (path: string, body?: object): Promise<void> => {
    const response = await fetch(`${couch.base}/${path}`, {
      method: 'PUT', headers: { authorization: couch.authorization, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`PUT ${path}: HTTP ${response.status} ${await response.text()}`);
  };
  const runsOf = async (workflow: string): Promise<RunDoc[]> =>
    (await deployed.store.listByPrefix<RunDoc>('run/', { includeDocs: true })).flatMap((row) => (row.doc?.type === 'run' && row.doc.workflow === workflow ? [row.doc] : []));

  beforeAll(async () => {
    deployed = await startDeployedPlatform();
    couch = couchOf(deployed.platform.couchUrl);
    session = cliSession(deployed.platform);
  });

  afterAll(async () => {
    session?.restore();
    await deployed?.platform.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the alarm starts the run, it waits for the day\'s file, and the document written to the watched database resumes it', async () => {
    const { platform, store } = deployed;
    await session.cli('deploy', EXAMPLE, '--actions', join(EXAMPLE, 'actions.js'), '--package', 'report');
    // The watched database and its changes feed, whose rule turns a written file into the event.
    await put('files');
    await wsk(platform, 'trigger', 'create', 'daily-report-files', '--feed', '/whisk.system/cloudant/changes',
      '-p', 'dbname', 'files', '-p', 'protocol', 'http', '-p', 'host', couch.host, '-p', 'port', couch.port,
      '-p', 'username', couch.username, '-p', 'password', couch.password);
    await wsk(platform, 'rule', 'create', 'daily-report-announce', 'daily-report-files', 'report/announce');
    expect(await runsOf('daily-report')).toEqual([]);

    // The example's alarm fires every morning; here, once a day at a time a few seconds away. A deploy
    // slower than that (a loaded machine) set a time already past: deploy again, further ahead (the
    // cron trigger is replaced, so only the last schedule exists).
    for (let leadMs = 20_000; ; leadMs *= 3) {
      const fireAt = Date.now() + leadMs;
      await session.cli('deploy', EXAMPLE, '--cron', dailyCronAt(fireAt));
      if (Date.now() < fireAt - 2_000) break;
      if (leadMs > 500_000) throw new Error('whiskflow deploy --cron kept taking longer than the alarm\'s lead time');
    }
    const [run] = await until('the alarm to start a run', async () => { const runs = await runsOf('daily-report'); return runs.length > 0 && runs; }, 240_000);
    const { runId } = run!;
    // Transition 0 is `plan`; the wait is the run's second transition.
    const wait = await until(`run ${runId} to wait for its file`, () => store.get<WaiterDoc>(eventDocIds.awaits(runId, 1)), 120_000);
    expect(await runsOf('daily-report')).toHaveLength(1);
    // `plan` names the day the alarm fired on (UTC): the wait's correlation key.
    const day = wait.key;
    expect([new Date(run!.startedAt).toISOString().slice(0, 10), new Date().toISOString().slice(0, 10)]).toContain(day);
    expect(await session.cli('status', runId)).toMatch(new RegExp(`waiting on stage file: event report.file.arrived with key "${day}"`));

    // Another day's file is not this run's; the day's file resumes it.
    const file = JSON.parse(readFileSync(join(EXAMPLE, 'file.json'), 'utf8')) as { day: string; name: string };
    await put('files/sales-1999-01-01', { ...file, day: '1999-01-01', name: 'sales-1999-01-01.csv' });
    await put(`files/sales-${day}`, { ...file, day, name: `sales-${day}.csv` });
    const done = await waitForRun(store, runId, { timeoutMs: 120_000 });
    expect(done).toMatchObject({
      status: 'succeeded',
      output: { day, file: { kind: 'sales-file', day, name: `sales-${day}.csv`, rows: [{ region: 'north', amount: 120 }, { region: 'south', amount: 80 }] }, rows: 2, total: 200 },
    });
    expect(await session.cli('events', runId)).toMatch(new RegExp(`file: received report.file.arrived file-sales-${day} \\(key "${day}"\\)`));
    // The other day's file is kept for a run of that day, not dropped.
    expect(await session.cli('events', '--workflow', 'daily-report')).toMatch(/key "1999-01-01" id file-sales-1999-01-01: pending/);
    expect(await runsOf('daily-report')).toHaveLength(1);
  });

  it('no file before the timeout: the catch reports it missing (the actions deployed by the example\'s wskdeploy manifest)', async () => {
    await runToolOk('wskdeploy', ['-m', join(EXAMPLE, 'manifest.yaml')], deployed.platform);
    // The example waits 12 hours; the same workflow with 3 seconds.
    const example = readFileSync(join(EXAMPLE, 'workflow.yaml'), 'utf8');
    expect(example).toMatch(/timeout: 43200\n/);
    const shortened = join(dir, 'workflow.yaml');
    writeFileSync(shortened, example.replace(/timeout: 43200\n/, 'timeout: 3\n'));
    await session.cli('deploy', shortened);
    const started = await session.cli('run', 'daily-report', '--input', '{"day":"2000-01-01"}', '--json');
    const { runId } = JSON.parse(started) as { runId: string };
    expect(await waitForRun(deployed.store, runId, { timeoutMs: 120_000 })).toMatchObject({
      status: 'succeeded', output: { day: '2000-01-01', missing: true, reason: 'whiskflow.Timeout' },
    });
  });
});
