/**
 * The real Apache `wsk` and `wskdeploy` for integration tests.
 *
 * They are found on the PATH (`.ci/run` puts copies there) or in `../shared/tools/openwhisk-cli`
 * beside the clone (read-only there, so they are copied into a temp bin once per process). A test
 * that needs them and finds neither fails with a ServiceMissingError saying where they come from:
 * never a skip.
 *
 * Each tool runs with a private `WSK_CONFIG_FILE`, so no test reads or writes the user's
 * `~/.wskprops`, and with `--apihost`/`--auth` of the platform under test.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, copyFileSync, chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ServiceMissingError } from '../../lib/errors';

export type OpenWhiskTool = 'wsk' | 'wskdeploy';

/** Where the project's copies of the binaries live (see its SOURCES.md). */
export const SHARED_TOOLS_DIR = resolve(__dirname, '../../../shared/tools/openwhisk-cli');

const found = new Map<OpenWhiskTool, string>();

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of a runnable copy of the tool; throws ServiceMissingError when there is none. */
export function toolPath(tool: OpenWhiskTool): string {
  const cached = found.get(tool);
  if (cached) return cached;
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, tool)).find(executable);
  let path = onPath;
  if (!path) {
    const shared = join(SHARED_TOOLS_DIR, tool);
    if (!existsSync(shared)) {
      throw new ServiceMissingError(
        tool,
        `the real ${tool} is neither on the PATH nor in ${SHARED_TOOLS_DIR}; .ci/run copies it there from ../shared/tools/openwhisk-cli (built from the Apache sources in its SOURCES.md)`,
      );
    }
    const bin = mkdtempSync(join(tmpdir(), 'whiskflow-owcli-'));
    path = join(bin, tool);
    copyFileSync(shared, path);
    chmodSync(path, 0o755);
  }
  found.set(tool, path);
  return path;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ToolTarget {
  apihost: string;
  auth: string;
}

export interface RunToolOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** @default 120000 */
  timeoutMs?: number;
  /** Standard input for the tool. */
  input?: string;
}

/** A private wskprops file naming the platform (wskdeploy reads it; wsk gets flags as well). */
export function wskpropsFor(target: ToolTarget): string {
  const dir = mkdtempSync(join(tmpdir(), 'whiskflow-wskprops-'));
  const file = join(dir, '.wskprops');
  writeFileSync(file, `APIHOST=${target.apihost}\nAUTH=${target.auth}\nNAMESPACE=_\n`);
  return file;
}

/** Runs a tool to its end; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(tool: OpenWhiskTool, args: readonly string[], target: ToolTarget, options: RunToolOptions = {}): Promise<ToolResult> {
  const path = toolPath(tool);
  const config = wskpropsFor(target);
  // wsk takes the host and key as flags; wskdeploy reads them from the config file (it also takes
  // --apihost/--auth, but its flags do not carry the namespace).
  const full = tool === 'wsk' ? ['--apihost', target.apihost, '--auth', target.auth, ...args] : [...args];
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      path,
      full,
      {
        cwd: options.cwd,
        env: { ...process.env, WSK_CONFIG_FILE: config, ...options.env },
        timeout: options.timeoutMs ?? 120000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(error);
          return;
        }
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolvePromise({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Runs a tool and fails with its output when it exits non-zero. */
export async function runToolOk(tool: OpenWhiskTool, args: readonly string[], target: ToolTarget, options: RunToolOptions = {}): Promise<string> {
  const result = await runTool(tool, args, target, options);
  if (result.code !== 0) {
    throw new Error(`${tool} ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result.stdout;
}

/** `wsk ...` against the target; resolves with stdout, fails on a non-zero exit. */
export function wsk(target: ToolTarget, ...args: string[]): Promise<string> {
  return runToolOk('wsk', args, target);
}
