/**
 * The workflow commands run in-process against a local platform, configured through the environment
 * as a user would (`WHISK_APIHOST`, `WHISK_AUTH`, `COUCHDB_URL`, ...), with what they print captured.
 */
import { Command } from 'commander';
import { join } from 'path';
import { WORKFLOW_COMMANDS } from '../../lib/cli/commands';

const ROOT = join(__dirname, '../..');

export interface CliSession {
  /** Runs one command (`cli('run', 'wf', '--wait')`); resolves with what it printed, joined by newlines. */
  cli(...args: string[]): Promise<string>;
  /** Everything printed since the session began. */
  readonly printed: string[];
  /** Gives back the environment, the console and `process.exitCode` as they were. */
  restore(): void;
}

export interface CliSessionOptions {
  /** Also capture `process.stdout.write` (progress bars); otherwise it is silenced. @default true */
  captureStdout?: boolean;
}

export function cliSession(platform: { apihost: string; auth: string; couchUrl: string }, options: CliSessionOptions = {}): CliSession {
  const saved = { ...process.env };
  const printed: string[] = [];
  Object.assign(process.env, {
    WHISK_APIHOST: platform.apihost, WHISK_AUTH: platform.auth, COUCHDB_URL: platform.couchUrl,
    WHISKFLOW_DB: 'whiskflow', WHISKFLOW_BUNDLES_DIR: join(ROOT, 'dist/actions'),
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => { printed.push(parts.join(' ')); });
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    if (options.captureStdout ?? true) printed.push(String(chunk));
    return true;
  });
  return {
    printed,
    async cli(...args: string[]): Promise<string> {
      const from = printed.length;
      const program = new Command('whiskflow').exitOverride();
      for (const register of WORKFLOW_COMMANDS) register(program);
      await program.parseAsync(['node', 'whiskflow', ...args]);
      return printed.slice(from).join('\n');
    },
    restore(): void {
      log.mockRestore();
      write.mockRestore();
      process.env = saved;
      process.exitCode = undefined;
    },
  };
}
