/**
 * A crash of the whole platform mid-map: `whiskflow local` (the controller, the embedded CouchDB and
 * every action container) is killed with SIGKILL while a map of short tasks runs, and started again
 * on the same data dir and port. With no manual step, the run finishes by itself, every task's
 * result recorded exactly once: activations that were running at the crash are recorded as lost
 * from the platform's journal and retried (whiskflow.ActivationLost), and completions whose next
 * steps died with the orchestrator are fired again by the upkeep's sweep.
 * The embedded CouchDB killed alone mid-map: the platform restarts it, and the run finishes by
 * itself too, though orchestrators and conductors that met the store gone failed part way (claims
 * without activation ids, completions not recorded), which the upkeep's sweep repairs.
 * Runs the compiled CLI (`npm run build` first).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PID_FILE } from '../../../../lib/store/embedded-couch';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForRun } from '../../../../lib/runs/run-client';
import { createRunStore } from '../../../../lib/store/config';
import { docIds } from '../../../../lib/store/run-documents';
import { startWhiskflowLocal, MARK_VARIABLE, type LocalPlatformProcess } from '../../../../scripts/faults/lib/local-process';
import { cliSession } from '../../../helpers/cli';
import { processesWithEnv } from '../../../helpers/processes';
import { until } from '../../../helpers/until';

jest.setTimeout(900_000);

const TASKS = 200;

const ACTIONS = `
const { appendFileSync } = require('fs');
exports.nap = async (params) => {
  appendFileSync(params.countFile, params.i + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { i: params.i };
};
`;

const WORKFLOW = `
name: crash-map
stages:
  - id: each
    kind: map
    action: crash/nap
    items: $.items
    retry: { maxAttempts: 4, backoff: { initialMs: 100 } }
`;

/** Deploys the counting map on `platform` and starts a run of `TASKS` elements. */
async function startMap(platform: LocalPlatformProcess, dir: string): Promise<{ runId: string; countFile: string; items: { i: number; countFile: string }[] }> {
  const session = cliSession(platform);
  try {
    writeFileSync(join(dir, 'actions.js'), ACTIONS);
    writeFileSync(join(dir, 'crash-map.yaml'), WORKFLOW);
    await session.cli('deploy', join(dir, 'crash-map.yaml'), '--actions', join(dir, 'actions.js'), '--package', 'crash');
    const countFile = join(dir, 'runs.txt');
    // The counting action runs as the platform's action user (`nobody` under a root platform): it must reach and write the file.
    chmodSync(dir, 0o755);
    writeFileSync(countFile, '');
    chmodSync(countFile, 0o666);
    const items = Array.from({ length: TASKS }, (_, i) => ({ i, countFile }));
    const { runId } = JSON.parse(await session.cli('run', 'crash-map', '--input', JSON.stringify({ items }), '--json')) as { runId: string };
    return { runId, countFile, items };
  } finally {
    session.restore();
  }
}

describe('whiskflow local killed with SIGKILL mid-map and started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-crash-'));
  const dataDir = join(dir, 'data');
  let platform: LocalPlatformProcess | undefined;

  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes the run by itself, each task\'s result recorded exactly once', async () => {
    platform = await startWhiskflowLocal(dataDir, { extraArgs: ['--sweep-interval', '5000', '--sweep-stale-after', '10000'] });
    const { runId, countFile, items } = await startMap(platform, dir);

    let store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const results = async () => (await store.listByPrefix(docIds.resultsPrefix(runId, 0))).length;
    // Mid-map: some results recorded, most not.
    await until('a few results to be recorded', async () => (await results()) >= 20, 300_000);
    const { port, mark } = platform;
    await platform.kill9();
    expect(processesWithEnv(MARK_VARIABLE, mark)).toEqual([]);
    const before = await (async () => { try { return await results(); } catch { return 'CouchDB down'; } })();
    expect(before).toBe('CouchDB down');

    platform = await startWhiskflowLocal(dataDir, { port, extraArgs: ['--sweep-interval', '5000', '--sweep-stale-after', '10000'] });
    expect(platform.port).toBe(port);
    store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const run = await waitForRun(store, runId, { timeoutMs: 800_000 });
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'succeeded', failure: undefined });
    expect(run.output).toEqual(items.map((_item, i) => ({ i })));
    // One result document per task (their ids are per index: a second result for an index cannot exist).
    const ids = (await store.listByPrefix(docIds.resultsPrefix(runId, 0))).map((row) => row.id);
    expect(ids).toHaveLength(TASKS);
    // Every task ran at least once; the ones that were running at the crash, or whose completion died, ran again.
    const ran = readFileSync(countFile, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(new Set(ran).size).toBe(TASKS);
    const output = platform.output();
    expect(output).toMatch(/recorded \d+ activation\(s\) that were running then as lost/);
  });
});

describe('the embedded CouchDB alone killed with SIGKILL mid-map', () => {
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-couch-crash-'));
  const dataDir = join(dir, 'data');
  let platform: LocalPlatformProcess | undefined;

  afterAll(async () => {
    await platform?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is restarted by the platform, and the run finishes by itself, each task\'s result recorded exactly once', async () => {
    platform = await startWhiskflowLocal(dataDir, { extraArgs: ['--sweep-interval', '5000', '--sweep-stale-after', '10000'] });
    const { runId, countFile, items } = await startMap(platform, dir);
    const store = createRunStore({ kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' });
    const results = async () => (await store.listByPrefix(docIds.resultsPrefix(runId, 0))).length;
    await until('a few results to be recorded', async () => (await results()) >= 20, 300_000);
    const pidFile = join(dataDir, 'couch', PID_FILE);
    const killed = Number(readFileSync(pidFile, 'utf8'));
    process.kill(killed, 'SIGKILL');

    // Same URL, same data: the store comes back under the run, which nobody touches.
    const run = await waitForRun(store, runId, { timeoutMs: 800_000 });
    expect({ status: run.status, failure: run.failure }).toEqual({ status: 'succeeded', failure: undefined });
    expect(run.output).toEqual(items.map((_item, i) => ({ i })));
    expect(Number(readFileSync(pidFile, 'utf8'))).not.toBe(killed);
    expect(platform.output()).toContain(`the embedded CouchDB (pid ${killed}) exited (SIGKILL); restarting it`);
    const ids = (await store.listByPrefix(docIds.resultsPrefix(runId, 0))).map((row) => row.id);
    expect(ids).toHaveLength(TASKS);
    const ran = readFileSync(countFile, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(new Set(ran).size).toBe(TASKS);
  });
});
