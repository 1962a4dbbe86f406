#!/usr/bin/env node
/**
 * `npm run demo`: the map-reduce example on the embedded local platform, in one process.
 * Starts the platform (REST API + Node.js runtime + embedded CouchDB, in a temp directory), deploys
 * the whiskflow orchestrator and the example, runs it, prints the result and stops.
 * Exits 0 only when the result is the expected one. Needs `npm run build` first (npm run demo does it).
 * Prints the run dashboard's URL and the run's page; `npm run demo -- --keep` keeps the platform
 * (and so the dashboard) up until Ctrl-C.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const dist = path.join(root, 'dist');

function load(modulePath) {
  try {
    return require(path.join(dist, modulePath));
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      console.error(`demo: ${modulePath} is not built; run \`npm run build\` first.`);
      process.exit(1);
    }
    throw error;
  }
}

async function main() {
  const { startPlatform } = load('lib/platform/index.js');
  const { parseWorkflow } = load('lib/model/parse.js');
  const { createRunStore } = load('lib/store/config.js');
  const { deployRuntime } = load('lib/deploy/runtime.js');
  const { deployWorkflow } = load('lib/deploy/workflow.js');
  const { deployActionFile } = load('lib/deploy/action-file.js');
  const { requestRun, waitForRun } = load('lib/runs/run-client.js');
  const { describeRun } = load('lib/runs/run-view.js');
  const { startDashboard } = load('lib/dashboard/start.js');
  const keep = process.argv.includes('--keep');
  const openwhisk = require('openwhisk');

  const example = path.join(root, 'examples', 'map-reduce');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-demo-'));
  console.log('starting the local OpenWhisk-compatible platform ...');
  const platform = await startPlatform({ port: 0, dataDir });
  let ok = false;
  try {
    console.log(`platform at ${platform.apihost}, CouchDB at ${platform.couchUrl.replace(/\/\/[^@/]*@/, '//')}`);
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth });
    const storeConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
    const store = createRunStore(storeConfig);
    await store.ensureReady();
    const dashboard = startDashboard({ platform, store, couchUrl: platform.couchUrl, dbname: storeConfig.dbname });
    console.log(`dashboard: ${dashboard.url}`);

    console.log('deploying the whiskflow orchestrator, the example actions and the workflow ...');
    await deployRuntime(client, storeConfig, path.join(dist, 'actions'));
    await deployActionFile(client, { file: path.join(example, 'actions.js'), packageName: 'mapreduce' });
    const workflow = parseWorkflow(fs.readFileSync(path.join(example, 'workflow.yaml'), 'utf8'));
    await deployWorkflow(client, store, workflow);

    const input = JSON.parse(fs.readFileSync(path.join(example, 'input.json'), 'utf8'));
    const { runId } = await requestRun(client, workflow.name, input);
    console.log(`run ${runId} started: 5 parallel sums -> sumall -> choice`);
    console.log(`run page: ${dashboard.runUrl(runId)}`);
    const run = await waitForRun(store, runId, { timeoutMs: 180000 });
    const view = await describeRun(store, runId);
    for (const stage of view.stages) {
      const took = stage.endedAt !== undefined ? `${stage.endedAt - stage.startedAt} ms` : '-';
      console.log(`  stage ${stage.stageId.padEnd(13)} ${String(stage.completed).padStart(2)}/${stage.taskCount} tasks  ${took}`);
    }
    const expected = { label: 'large', total: 210, parts: 5 };
    ok = run.status === 'succeeded' && JSON.stringify(run.output) === JSON.stringify(expected);
    if (ok) console.log(`RESULT: ${JSON.stringify(run.output)} -- correct (1+2+...+20 = 210)`);
    else console.log(`RESULT: ${run.status} ${JSON.stringify(run.output ?? run.failure)} -- WRONG, expected ${JSON.stringify(expected)}`);
    if (keep) {
      console.log(`dashboard: ${dashboard.url} -- run page: ${dashboard.runUrl(runId)} (Ctrl-C to stop)`);
      await new Promise((resolve) => process.once('SIGINT', resolve));
    } else {
      console.log('(npm run demo -- --keep keeps the platform and its dashboard up)');
    }
  } finally {
    await platform.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(ok ? 0 : 1);
}

main().catch((error) => {
  console.error(`demo failed: ${error && error.message ? error.message : error}`);
  process.exit(1);
});
