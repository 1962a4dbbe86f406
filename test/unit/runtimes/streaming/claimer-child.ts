/** A child process standing in for a Rule Engine that claims tasks, and that the test can kill. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ClaimerProcess } from '../../../../lib/runtimes/streaming/claimer-process';

/** A process of this machine, described as a claim records it (read from /proc while it runs). */
export function claimerChild(): { child: ChildProcess; claimer: ClaimerProcess; exited: Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 120000)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid as number;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
  return { child, exited, claimer: { host: hostname(), pid, pidNamespace: readlinkSync(`/proc/${pid}/ns/pid`), startTicks } };
}
