/**
 * Jest's node environment, plus a check that a test file leaves no process behind: once its last
 * hook has run, every process it started (platforms' embedded CouchDB, action containers, brokers,
 * CLI children) must be gone. A leftover fails the file, naming each process, and is then killed so
 * the run can still end. A leaked server would otherwise keep Jest from exiting, or keep running
 * after it.
 *
 * What the file started is found two ways: the processes below this Jest process that were not there
 * before the file, and the processes whose environment carries this file's marker (inherited by
 * servers that daemonize or are started with nohup, and so leave the tree).
 */
import { randomUUID } from 'node:crypto';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';
import { descendantsOf, listProcesses, processesWithEnv, type ProcessInfo } from './processes';

/** Set in the environment of everything a test file starts. */
export const SUITE_MARKER_ENV = 'WHISKFLOW_TEST_SUITE';
/**
 * How long processes may take to go after the file's last hook: a stopped broker's owner watcher
 * notices within a second, a container's process exits once it has been sent its signal.
 */
const GRACE_MS = 5_000;

export default class NoLeaksEnvironment extends NodeEnvironment {
  private readonly marker: string;
  private readonly before: Set<number>;
  private readonly testPath: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    // Before the sandbox copies process.env, so that spawns with and without an explicit env inherit it.
    const marker = randomUUID();
    process.env[SUITE_MARKER_ENV] = marker;
    super(config, context);
    this.marker = marker;
    this.testPath = context.testPath;
    this.before = new Set(descendantsOf(process.pid).map((info) => info.pid));
  }

  override async teardown(): Promise<void> {
    await super.teardown();
    let leftovers = this.leftovers();
    const deadline = Date.now() + GRACE_MS;
    while (leftovers.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      leftovers = this.leftovers();
    }
    if (leftovers.length === 0) return;
    for (const info of leftovers) {
      try {
        process.kill(info.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    const list = leftovers.map((info) => `  pid ${info.pid} (parent ${info.ppid}): ${info.command.replace(/\s+/g, ' ').slice(0, 200)}`).join('\n');
    throw new Error(`${this.testPath} left ${leftovers.length} process(es) running ${GRACE_MS / 1000} s after its last hook (now killed); stop what it starts in its afterAll/afterEach:\n${list}`);
  }

  private leftovers(): ProcessInfo[] {
    const processes = listProcesses();
    const found = new Map<number, ProcessInfo>();
    for (const info of descendantsOf(process.pid, processes)) if (!this.before.has(info.pid)) found.set(info.pid, info);
    for (const info of processesWithEnv(SUITE_MARKER_ENV, this.marker, processes)) found.set(info.pid, info);
    found.delete(process.pid);
    return [...found.values()];
  }
}
