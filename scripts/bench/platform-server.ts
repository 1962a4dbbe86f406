/**
 * Bench-only entry: runs the local platform alone in this process, so that the benchmark can read
 * the platform's own CPU time from /proc apart from its clients. Talks to its parent over the fork
 * IPC channel: sends `{ type: 'ready', ... }`, answers `{ type: 'stats' }`, stops on `{ type: 'stop' }`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform, type PlatformOptions } from '../../lib/platform';
import type { PlatformChildMessage, PlatformParentMessage } from './lib/child-platform';

async function main(): Promise<void> {
  if (!process.send) throw new Error('platform-server must be started with child_process.fork (it reports over IPC)');
  const dataDir = mkdtempSync(join(tmpdir(), 'whiskflow-bench-'));
  // argv[2]: JSON options from the parent (e.g. the runtime's container limit).
  const extra = JSON.parse(process.argv[2] ?? '{}') as PlatformOptions;
  const platform = await startPlatform({ ...extra, port: 0, dataDir });
  const send = (message: PlatformChildMessage) => process.send?.(message);
  let stopping = false;

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await platform.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      send({ type: 'stopped' });
      process.disconnect?.();
    }
  };

  process.on('message', (message: PlatformParentMessage) => {
    if (message.type === 'stats') send({ type: 'stats', stats: platform.stats() });
    else if (message.type === 'stop') void stop();
  });
  process.on('SIGTERM', () => void stop());
  // Without a parent nobody would stop us: shut down with it.
  process.on('disconnect', () => void stop());

  send({ type: 'ready', apihost: platform.apihost, auth: platform.auth, namespace: platform.namespace, couchUrl: platform.couchUrl, pid: process.pid });
}

main().catch((thrown: unknown) => {
  console.error('platform-server failed:', thrown instanceof Error ? thrown.message : thrown);
  process.exit(1);
});
