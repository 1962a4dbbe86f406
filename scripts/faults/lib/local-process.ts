/**
 * `whiskflow local` (or `whiskflow engine`) as a separate process tree that can be killed the hard
 * way: every process started under it (the embedded CouchDB, action containers, which run in process
 * groups of their own) carries a marker in its environment, and `kill9()` sends SIGKILL to all of
 * them at once, as a crash of the machine's whiskflow would end them. Linux (/proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MARK_VARIABLE = 'WHISKFLOW_FAULT_MARK';

export interface LocalProcess {
  child: ChildProcess;
  mark: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL to the process and every process carrying its mark; resolves once the main one is gone. */
  kill9(): Promise<void>;
  /** SIGINT, then SIGKILL of what is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface LocalPlatformProcess extends LocalProcess {
  apihost: string;
  auth: string;
  couchUrl: string;
  port: number;
}

/** bin/whiskflow.js of this checkout, from scripts/faults/lib or its compiled dist/scripts/faults/lib. */
export const WHISKFLOW_BIN = [join(__dirname, '..', '..', '..'), join(__dirname, '..', '..', '..', '..')]
  .map((root) => join(root, 'bin', 'whiskflow.js')).find((file) => existsSync(file)) ?? 'bin/whiskflow.js';

/** Pids of living processes whose start environment holds `MARK_VARIABLE=mark`. */
export function markedProcesses(mark: string): number[] {
  const entry = `${MARK_VARIABLE}=${mark}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) pids.push(Number(name));
    } catch {
      // Another user's process, or one that ended meanwhile.
    }
  }
  return pids;
}

export function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): LocalProcess {
  const mark = randomUUID();
  const child = spawn(process.execPath, [WHISKFLOW_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, [MARK_VARIABLE]: mark } });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const killAll = () => {
    for (const pid of [child.pid ?? -1, ...markedProcesses(mark)]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
    }
  };
  return {
    child, mark,
    output: () => text,
    kill9: async () => {
      killAll();
      await exited;
      // Processes that were being forked during the first pass.
      killAll();
    },
    stop: async (graceMs = 20_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(killAll, graceMs);
      await exited;
      clearTimeout(timer);
      killAll();
    },
  };
}

/** Waits until the process printed a line matching `pattern` (or exited: then it fails with its output). */
/**
 * How long a start may take: on the shared 2-core machine (load average 40) a `whiskflow local`
 * restarted on a killed tree's data dir once took over 120 s to say `ready`.
 */
export const START_TIMEOUT_MS = 300_000;

export async function waitForOutput(processes: LocalProcess, pattern: RegExp, timeoutMs = START_TIMEOUT_MS): Promise<RegExpExecArray> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const found = pattern.exec(processes.output());
    if (found) return found;
    if (processes.child.exitCode !== null || processes.child.signalCode !== null) throw new Error(`whiskflow exited before printing ${pattern}:\n${processes.output()}`);
    if (Date.now() > giveUpAt) throw new Error(`whiskflow printed no ${pattern} within ${timeoutMs} ms:\n${processes.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `whiskflow local` on `dataDir` (port 0: a free one; give the earlier port to restart on it). */
export async function startWhiskflowLocal(dataDir: string, options: { port?: number; extraArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<LocalPlatformProcess> {
  const started = startProcess(['local', '--port', String(options.port ?? 0), '--couch-port', '0', '--data-dir', dataDir, ...(options.extraArgs ?? [])], options.env);
  try {
    await waitForOutput(started, /^ready/m);
  } catch (error) {
    await started.kill9();
    throw error;
  }
  const text = started.output();
  const apihost = /apihost: (\S+)/.exec(text)?.[1] ?? '';
  const auth = /auth: (\S+)/.exec(text)?.[1] ?? '';
  // The printed URL hides credentials; the platform file in the data dir has the whole one.
  const couchUrl = (JSON.parse(readFileSync(join(dataDir, 'local-platform.json'), 'utf8')) as { couchUrl: string }).couchUrl;
  return { ...started, apihost, auth, couchUrl, port: Number(new URL(apihost).port) };
}
