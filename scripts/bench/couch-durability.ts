/**
 * The embedded CouchDB as the local platform runs it (credentials required, supervised): write rates
 * through the authenticating front, and what a `kill -9` costs: the documents acknowledged right
 * before it that are there after the automatic restart (LevelDB without fsync: expected all of them,
 * since the log write happens before the answer), and how long a request sent just after the kill
 * waits for the new server.
 *
 *   npm run build && node dist/scripts/bench/couch-durability.js [--docs 500] [--kills 3]
 *
 * Writes bench-results/couch-durability.json. Reports, never asserts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import nano from 'nano';
import { positiveInteger } from '../../lib/cli/options';
import { retryingConnection } from '../../lib/store/connection-retry';
import { PID_FILE, startEmbeddedCouch } from '../../lib/store/embedded-couch';
import { hostInfo, printTargets, target, writeReport, type BenchReport } from './lib/report';

interface Options { docs: number; kills: number; out: string }

async function main(options: Options): Promise<void> {
  const startedAt = new Date().toISOString();
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-bench-durability-'));
  const log: string[] = [];
  const couch = await startEmbeddedCouch({ dataDir, port: 0, log: (message) => log.push(message) });
  const results: Record<string, unknown> = {};
  const kills: { written: number; present: number; firstAnswerAfterKillMs: number }[] = [];
  try {
    const server = nano(couch.url);
    await server.db.create('bench');
    const db = server.db.use<{ i: number }>('bench');

    let began = performance.now();
    for (let i = 0; i < options.docs; i++) await db.insert({ _id: `seq-${i}`, i });
    results.sequentialWritesPerS = options.docs / ((performance.now() - began) / 1000);
    began = performance.now();
    await Promise.all(Array.from({ length: options.docs }, (_, i) => db.insert({ _id: `par-${i}`, i })));
    results.concurrentWritesPerS = options.docs / ((performance.now() - began) / 1000);

    for (let round = 0; round < options.kills; round++) {
      const ids: string[] = [];
      for (let i = 0; i < options.docs; i++) ids.push((await db.insert({ _id: `kill-${round}-${i}`, i })).id);
      // Right after the last acknowledged write.
      process.kill(Number(readFileSync(join(dataDir, 'couch', PID_FILE), 'utf8')), 'SIGKILL');
      const killedAt = performance.now();
      // As the platform sends it: again when it failed on a connection to the killed server.
      await retryingConnection(() => server.db.get('bench'));
      const firstAnswerAfterKillMs = performance.now() - killedAt;
      const present = (await db.fetch({ keys: ids })).rows.filter((row) => 'doc' in row && row.doc).length;
      kills.push({ written: ids.length, present, firstAnswerAfterKillMs });
    }
    results.kills = kills;
  } finally {
    await couch.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const lost = kills.reduce((sum, kill) => sum + kill.written - kill.present, 0);
  const targets = [target('acknowledged writes lost to kill -9', '0', lost, lost === 0)];
  const report: BenchReport = {
    benchmark: 'couch-durability', startedAt, finishedAt: new Date().toISOString(), host: hostInfo(),
    options: { ...options }, results, targets,
    notes: ['pouchdb-server 4.2 (LevelDB, no fsync) behind the credential-checking front, supervised by the parent process that keeps the port', ...log],
  };
  console.log(JSON.stringify(results, null, 2));
  printTargets(targets);
  console.log(`wrote ${writeReport(options.out, report)}`);
}

const program = new Command()
  .option('--docs <n>', 'documents per phase', positiveInteger, 500)
  .option('--kills <n>', 'kill -9 rounds', positiveInteger, 3)
  .option('--out <file>', 'report file', 'bench-results/couch-durability.json')
  .parse();
main(program.opts<Options>()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
