/**
 * The whiskflow commands run in-process against a local platform, configured as a user would
 * (`WHISKFLOW_APIHOST`, `WHISKFLOW_AUTH`, `COUCHDB_URL`, or a wsk properties file), with what they
 * print captured. The session never reads the real ~/.wskprops nor a `.whiskflow` data directory
 * of the working directory: WSK_CONFIG_FILE and WHISKFLOW_DATA_DIR point into a temporary one.
 */
import { CommanderError } from 'commander';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createProgram } from '../../lib/cli/main';

const ROOT = join(__dirname, '../..');

/** Every variable the CLI finds a platform or a store through: cleared at the session's start. */
const CONNECTION_VARIABLES = ['WHISKFLOW_APIHOST', 'WHISK_APIHOST', 'WHISKFLOW_AUTH', 'WHISK_AUTH', 'WHISKFLOW_NAMESPACE', '__OW_API_HOST', '__OW_API_KEY',
  'COUCHDB_URL', 'CLOUDANT_URL', 'CLOUDANT_APIKEY', 'CLOUDANT_USERNAME', 'CLOUDANT_PASSWORD', 'WSK_CONFIG_FILE', 'WHISKFLOW_DATA_DIR'];

export interface CliResult {
  /** What the command printed (console.log and stdout), joined by newlines. */
  output: string;
  /** The process exit code the command asked for: 1 when it threw, else `process.exitCode ?? 0`. */
  exitCode: number;
  error?: Error;
}

export interface CliSession {
  /** Runs one command (`cli('run', 'wf', '--wait')`); resolves with what it printed, rejects with what it threw. */
  cli(...args: string[]): Promise<string>;
  /** Runs one command and resolves with its output and exit code, also when it fails. */
  result(...args: string[]): Promise<CliResult>;
  /** Everything printed since the session began. */
  readonly printed: string[];
  /** A directory of this session (removed by restore), e.g. for a wsk properties file. */
  readonly dir: string;
  /** Gives back the environment, the console and `process.exitCode` as they were. */
  restore(): void;
}

export interface CliSessionOptions {
  /** Also capture `process.stdout.write` (progress bars); otherwise it is silenced. @default true */
  captureStdout?: boolean;
  /**
   * How the platform is given: `env` sets WHISKFLOW_APIHOST, WHISKFLOW_AUTH and COUCHDB_URL; `none`
   * sets nothing (the test writes a wsk properties file or passes flags). @default 'env'
   */
  connection?: 'env' | 'none';
}

export function cliSession(platform: { apihost: string; auth: string; couchUrl: string }, options: CliSessionOptions = {}): CliSession {
  const saved = { ...process.env };
  const printed: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-cli-session-'));
  for (const name of CONNECTION_VARIABLES) delete process.env[name];
  Object.assign(process.env, {
    WSK_CONFIG_FILE: join(dir, 'wskprops'), WHISKFLOW_DATA_DIR: join(dir, 'data'),
    WHISKFLOW_DB: 'whiskflow', WHISKFLOW_BUNDLES_DIR: join(ROOT, 'dist/actions'),
    ...((options.connection ?? 'env') === 'env' ? { WHISKFLOW_APIHOST: platform.apihost, WHISKFLOW_AUTH: platform.auth, COUCHDB_URL: platform.couchUrl } : {}),
  });
  const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => { printed.push(parts.join(' ')); });
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    if (options.captureStdout ?? true) printed.push(String(chunk));
    return true;
  });
  const result = async (...args: string[]): Promise<CliResult> => {
    const from = printed.length;
    process.exitCode = undefined;
    const program = createProgram((root) => { root.exitOverride(); });
    let error: Error | undefined;
    try {
      await program.parseAsync(['node', 'whiskflow', ...args]);
    } catch (thrown) {
      // --version and --help end through exitOverride with exit code 0.
      if (!(thrown instanceof CommanderError && thrown.exitCode === 0)) error = thrown as Error;
    }
    const exitCode = error ? 1 : Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return { output: printed.slice(from).join('\n'), exitCode, ...(error ? { error } : {}) };
  };
  return {
    printed,
    dir,
    result,
    async cli(...args: string[]): Promise<string> {
      const outcome = await result(...args);
      if (outcome.error) throw outcome.error;
      return outcome.output;
    },
    restore(): void {
      log.mockRestore();
      write.mockRestore();
      process.env = saved;
      process.exitCode = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
