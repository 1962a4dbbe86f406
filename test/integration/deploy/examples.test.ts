/**
 * Every example deployed by `whiskflow manifest` + the real `wskdeploy` alone (no `whiskflow deploy`,
 * no entity or document created otherwise) and started by `wsk trigger fire`: the run shows in
 * `whiskflow runs`/`status` with the example's output. Also a cron schedule (`--cron`), and a start
 * the orchestrator refuses, which must show as a failed run with its cause.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Json } from '../../../lib/model/json';
import { listRuns } from '../../../lib/runs/run-view';
import { workflowSeal } from '../../../lib/events/event-seal';
import { createRunStore } from '../../../lib/store/config';
import type { RunDoc } from '../../../lib/store/run-documents';
import type { RunStore } from '../../../lib/store/run-store';
import { cliSession, type CliSession } from '../../helpers/cli';
import { wordCountOf } from '../../helpers/examples';
import { startLocalPlatform, type LocalPlatform } from '../../helpers/local-platform';
import { runToolOk, wsk } from '../../helpers/openwhisk-cli';
import { until } from '../../helpers/until';
import { EXAMPLES_DIR } from '../../helpers/fixtures';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '../../..');
const examples: { dir: string; actions: string; expected: Json }[] = [
  { dir: 'map-reduce', actions: 'map-reduce', expected: { label: 'large', total: 210, parts: 5 } },
  { dir: 'nested-branches', actions: 'nested-branches', expected: { n: 3, branches: [{ v: 2 }, { total: 14 }, { size: 'big', n: 3 }, 1, { v: 3 }] } },
  { dir: 'parallel-waits', actions: 'parallel-waits', expected: { joined: 80, waitedInAll: 8000 } },
  { dir: 'sequence-of-waits', actions: 'parallel-waits', expected: { waited: 300, total: 600 } },
  { dir: 'word-count', actions: 'word-count', expected: wordCountOf('word-count/text.txt') },
];

describe('examples deployed by whiskflow manifest + wskdeploy, started by wsk trigger fire', () => {
  let platform: LocalPlatform;
  let store: RunStore;
  let session: CliSession;
  let tmp: string;
  // wskdeploy binds the event key from its environment; `whiskflow manifest` seals the triggers with the same key.
  const env = () => ({ COUCHDB_URL: platform.couchUrl, WHISKFLOW_EVENT_KEY: readFileSync(keyFile(), 'utf8').trim() });
  const keyFile = () => join(tmp, 'event-key');

  beforeAll(async () => {
    platform = await startLocalPlatform();
    store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    session = cliSession(platform);
    tmp = mkdtempSync(join(tmpdir(), 'whiskflow-wskdeploy-examples-'));
  });

  afterAll(async () => {
    session?.restore();
    await platform?.stop();
  });

  /** `whiskflow manifest` into a temp dir, then `wskdeploy -m` of it; the example's actions by their own manifest. */
  async function deployExample(dir: string, actions: string, extra: string[] = []): Promise<string> {
    await runToolOk('wskdeploy', ['-m', join(EXAMPLES_DIR, actions, 'manifest.yaml')], platform, { env: { COUCHDB_URL: platform.couchUrl } });
    const out = mkdtempSync(join(tmp, `${dir}-`));
    const file = join(out, 'manifest.yaml');
    await session.cli('manifest', join(EXAMPLES_DIR, dir), '-o', file, '--bundles', relative(out, join(ROOT, 'dist/actions')), '--event-key-file', keyFile(), ...extra);
    await runToolOk('wskdeploy', ['-m', file], platform, { env: env() });
    return file;
  }

  async function runOf(workflow: string, known: ReadonlySet<string>): Promise<RunDoc> {
    return until(`a finished run of ${workflow}`, async () => {
      // The database does not exist before the first start created it.
      const runs = await listRuns(store, { workflow }).catch(() => []);
      return runs.find((candidate) => !known.has(candidate.runId) && candidate.status !== 'running');
    }, 240_000);
  }

  it.each(examples)('$dir', async ({ dir, actions, expected }) => {
    await deployExample(dir, actions);
    await wsk(platform, 'trigger', 'fire', `whiskflow-${dir}`, '-P', join(EXAMPLES_DIR, dir, 'input.json'));
    const run = await runOf(dir, new Set());
    expect(run.failure).toBeUndefined();
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual(expected);
    // Where users look: the CLI lists the run and shows its output.
    expect(await session.cli('runs', '--workflow', dir)).toMatch(new RegExp(`${run.runId}\\s+${dir}\\s+succeeded`));
    expect(await session.cli('status', run.runId)).toContain(`output: ${JSON.stringify(expected)}`);
  });

  it('serves the run dashboard as the raw-http web action wskdeploy deployed (web: raw), reading the runs above', async () => {
    const got = await wsk(platform, 'action', 'get', 'whiskflow/dashboard');
    const annotations = Object.fromEntries((JSON.parse(got.slice(got.indexOf('{'))) as { annotations: { key: string; value: unknown }[] }).annotations.map((a) => [a.key, a.value]));
    expect(annotations).toMatchObject({ 'web-export': true, 'raw-http': true, final: true });
    const url = `${platform.apihost}/api/v1/web/${platform.namespace}/whiskflow/dashboard.http`;
    const runs = await (await fetch(`${url}/api/runs?workflow=map-reduce`)).json() as { runs: { status: string }[] };
    expect(runs.runs.map((run) => run.status)).toContain('succeeded');
    expect(await (await fetch(url, { headers: { accept: 'text/html' } })).text()).toContain(`<script src="/api/v1/web/${platform.namespace}/whiskflow/dashboard.http/assets/app.js">`);
  });

  it('shows a start the orchestrator refuses as a failed run with its cause', async () => {
    // A definition on the trigger that is no valid workflow (as an older whiskflow manifest wrote: a compiled condition).
    const source = { name: 'refused', stages: [{ id: 'c', kind: 'choice', rules: [{ when: { kind: 'ge', path: '$.x', value: 1 }, next: 'c' }] }] };
    // Sealed as `whiskflow manifest` seals a trigger: an unsealed one starts nothing (below).
    const key = readFileSync(keyFile(), 'utf8').trim();
    await wsk(platform, 'trigger', 'create', 'whiskflow-refused', '-p', 'whiskflowWorkflow', 'refused', '-p', 'whiskflowDefinition', JSON.stringify(source),
      '-p', 'whiskflowSeal', workflowSeal(key, 'refused', source));
    await wsk(platform, 'rule', 'create', 'whiskflow-refused-rule', 'whiskflow-refused', 'whiskflow/orchestrator');
    await wsk(platform, 'trigger', 'fire', 'whiskflow-refused', '-p', 'x', '3');
    const run = await runOf('refused', new Set());
    expect(run.status).toBe('failed');
    expect(run.input).toEqual({ x: 3 });
    expect(run.failure?.error).toBe('whiskflow.InvalidWorkflow');
    expect(await session.cli('runs', '--workflow', 'refused')).toMatch(new RegExp(`${run.runId}\\s+refused\\s+failed`));
    const status = await session.cli('status', run.runId);
    expect(status).toContain('failure: whiskflow.InvalidWorkflow');
    expect(status).toMatch(/: workflow \$\S*/);

    // A trigger naming a workflow that is deployed nowhere (no definition on it, none in the store).
    await wsk(platform, 'trigger', 'create', 'whiskflow-ghost', '-p', 'whiskflowWorkflow', 'ghost', '-p', 'whiskflowSeal', workflowSeal(key, 'ghost'));
    await wsk(platform, 'rule', 'create', 'whiskflow-ghost-rule', 'whiskflow-ghost', 'whiskflow/orchestrator');
    await wsk(platform, 'trigger', 'fire', 'whiskflow-ghost', '-p', 'input', '{"a":1}');
    const ghost = await runOf('ghost', new Set());
    expect(ghost).toMatchObject({ status: 'failed', input: { a: 1 }, failure: { error: 'whiskflow.NotFound', cause: "The requested workflow 'ghost' does not exist." } });

    // A trigger made by hand, without the seal: the orchestrator refuses its starts and records no run.
    await wsk(platform, 'trigger', 'create', 'whiskflow-unsealed', '-p', 'whiskflowWorkflow', 'unsealed', '-p', 'whiskflowDefinition', JSON.stringify({ name: 'unsealed', stages: [{ id: 't', kind: 'task', action: 'nothing' }] }));
    await wsk(platform, 'rule', 'create', 'whiskflow-unsealed-rule', 'whiskflow-unsealed', 'whiskflow/orchestrator');
    // wsk prints `ok: triggered /_/whiskflow-unsealed with id <activation id>`.
    const firedId = /with id ([0-9a-f]{32})/.exec(await wsk(platform, 'trigger', 'fire', 'whiskflow-unsealed', '-p', 'input', '{"a":1}'))?.[1];
    expect(firedId).toBeDefined();
    const refusal = await until('the orchestrator activation of the unsealed fire', async () => {
      const trigger = JSON.parse((await wsk(platform, 'activation', 'get', firedId!)).replace(/^[^{]*/, '')) as { logs: string[] };
      const line = trigger.logs.map((text) => JSON.parse(text) as { activationId?: string }).find((entry) => entry.activationId);
      if (!line?.activationId) return undefined;
      const got = await wsk(platform, 'activation', 'get', line.activationId).catch(() => undefined);
      return got ? JSON.parse(got.replace(/^[^{]*/, '')) as { response: { result: { outcome?: string; reason?: string } } } : undefined;
    }, 60_000);
    expect(refusal.response.result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('seal') });
    expect(await listRuns(store, { workflow: 'unsealed' })).toEqual([]);
  });

  it('starts runs of the right workflow with the right input on a cron schedule (--cron, --cron-input)', async () => {
    const known = new Set((await listRuns(store, { workflow: 'sequence-of-waits' }).catch(() => [])).map((run) => run.runId));
    const input = join(tmp, 'cron-input.json');
    writeFileSync(input, JSON.stringify({ ms: 20 }));
    const file = await deployExample('sequence-of-waits', 'parallel-waits', ['--cron', '*/2 * * * * *', '--cron-input', input]);
    const run = await runOf('sequence-of-waits', known);
    expect(run.failure).toBeUndefined();
    expect(run.input).toEqual({ ms: 20 });
    expect(run.output).toEqual({ waited: 300, total: 520 });
    // A fired payload cannot pick another workflow or store for the cron orchestrator (its parameters are final).
    const overridden = await wsk(platform, 'action', 'invoke', 'whiskflow/cron-sequence-of-waits', '-p', 'whiskflowWorkflow', 'map-reduce').catch((error: Error) => error.message);
    expect(overridden).toMatch(/not allowed|parameters/i);

    await runToolOk('wskdeploy', ['undeploy', '-m', file], platform, { env: env() });
    await expect(wsk(platform, 'trigger', 'get', 'whiskflow-sequence-of-waits-cron')).rejects.toThrow(/not exist|not found/i);
  });
});
