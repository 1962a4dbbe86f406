/**
 * The CLI against a local platform whose embedded CouchDB requires credentials, found as `whiskflow
 * local` tells other shells to find it (WHISKFLOW_DATA_DIR, whose local-platform.json holds the store
 * URL): deploy, run, status, logs and sweep reach the store; the deployed actions reach it through the
 * URL the platform gives them, so the credentials are bound to no action and show in no `wsk` output,
 * activation record or CLI output.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import nano from 'nano';
import { startLocalPlatform, type LocalPlatform } from '../../../helpers/local-platform';
import { cliSession, type CliSession } from '../../../helpers/cli';
import { wsk } from '../../../helpers/openwhisk-cli';
import { writeLocalPlatformFile } from '../../../../lib/cli/local-platform-file';

jest.setTimeout(180_000);

const ACTIONS = `
exports.shout = async (params) => {
  console.log('shouting item', params.item);
  return { loud: String(params.item).toUpperCase() };
};
`;

describe('whiskflow CLI with the embedded CouchDB\'s credentials', () => {
  let platform: LocalPlatform;
  let session: CliSession;
  let password: string;

  beforeAll(async () => {
    platform = await startLocalPlatform();
    password = decodeURIComponent(new URL(platform.couchUrl).password);
    writeLocalPlatformFile(platform.dataDir, { apihost: platform.apihost, auth: platform.auth, namespace: platform.namespace, couchUrl: platform.couchUrl, dbname: 'whiskflow' });
    session = cliSession(platform, { connection: 'none' });
    // What `whiskflow local` prints for another shell.
    Object.assign(process.env, { WHISKFLOW_APIHOST: platform.apihost, WHISKFLOW_AUTH: platform.auth, WHISKFLOW_NAMESPACE: platform.namespace, WHISKFLOW_DATA_DIR: platform.dataDir });
    writeFileSync(join(session.dir, 'actions.js'), ACTIONS);
    writeFileSync(join(session.dir, 'shouting.yaml'), 'name: cred-shouting\nstages:\n  - id: each\n    kind: map\n    action: credtest/shout\n    items: $.items\n');
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
  });

  it('deploys and runs; no credential is bound, printed or recorded', async () => {
    await session.cli('deploy', join(session.dir, 'shouting.yaml'), '--actions', join(session.dir, 'actions.js'), '--package', 'credtest');
    const ran = await session.result('run', 'cred-shouting', '--input', JSON.stringify({ items: [{ item: 'a' }, { item: 'b' }] }), '--wait', '--json');
    expect(ran.exitCode).toBe(0);
    const run = JSON.parse(ran.output) as { runId: string; status: string };
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(JSON.parse(await session.cli('status', run.runId, '--json'))).toMatchObject({ runId: run.runId, status: 'succeeded' });
    await session.cli('logs', run.runId);
    await session.cli('sweep');

    const seen = [
      session.printed.join('\n'),
      await wsk(platform, 'package', 'get', 'whiskflow'),
      await wsk(platform, 'action', 'get', 'whiskflow/orchestrator'),
      await wsk(platform, 'action', 'get', 'whiskflow/task'),
      await wsk(platform, 'activation', 'list', '--limit', '200'),
      JSON.stringify(await nano(platform.couchUrl).db.use('whisk_local_activations').list({ include_docs: true })),
      JSON.stringify(await nano(platform.couchUrl).db.use('whisk_local_whisks').list({ include_docs: true })),
    ];
    // The orchestrator is bound to the store without credentials: the platform gives it the URL.
    expect(seen[2]).toContain(`http://127.0.0.1:${new URL(platform.couchUrl).port}`);
    for (const text of seen) expect(text).not.toContain(password);
  });
});
