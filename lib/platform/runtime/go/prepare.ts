/**
 * Prepares a go:* action as apache/openwhisk-runtime-go's compile script does: the sources (one
 * file, or a zip of a `package main`) are compiled with the launcher, whose `Main` becomes the
 * action's main capitalized (`main` -> `Main`), by the machine's Go; a zip holding an `exec`
 * executable runs as it is. Only the standard library: nothing is downloaded (GOPROXY=off).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { extractZip, launcherEnvironment, writeSource } from '../actionloop/action-files';
import { LoopFailure, type LaunchCommand, type LoopRuntimeSettings } from '../actionloop/protocol';
import type { ActionSource } from '../python/prepare';

const run = promisify(execFile);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const MAX_BUILD_OUTPUT_BYTES = 1024 * 1024;

export async function prepareGo(action: ActionSource, settings: LoopRuntimeSettings, workDir: string): Promise<LaunchCommand> {
  const go = settings.go;
  if (go === undefined) throw new LoopFailure(502, 'cannot start action: no Go runtime configured');
  const src = path.join(workDir, 'src');
  const env = launcherEnvironment(settings.memoryMb > 0 ? { GOMEMLIMIT: `${Math.floor(settings.memoryMb)}MiB` } : {});
  if (action.binary) {
    extractZip(action.code, src);
    const prebuilt = path.join(src, 'exec');
    if (isExecutable(prebuilt)) {
      fs.chmodSync(prebuilt, 0o755);
      return { executable: prebuilt, args: [], cwd: src, env };
    }
  } else {
    writeSource(src, 'exec__.go', action.code);
  }
  const template = fs.readFileSync(go.launcherTemplate, 'utf8');
  fs.writeFileSync(path.join(src, 'main__.go'), template.replace(/\bMain\b/g, capitalize(action.main || 'main')));
  const target = path.join(workDir, 'bin', 'exec');
  const buildEnv = {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: workDir,
    GOCACHE: go.cacheDir,
    GOPATH: path.join(workDir, 'gopath'),
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
  try {
    if (!fs.existsSync(path.join(src, 'go.mod'))) await run(go.executable, ['mod', 'init', 'exec'], { cwd: src, env: buildEnv });
    await run(go.executable, ['build', '-o', target, '-ldflags', '-s -w'], { cwd: src, env: buildEnv, maxBuffer: MAX_BUILD_OUTPUT_BYTES });
  } catch (error) {
    // The runtime fails /init with the compiler's output.
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const output = `${stdout}${stderr}`.trim() || String(error);
    throw new LoopFailure(502, output);
  }
  return { executable: target, args: [], cwd: src, env };
}

/** Python's str.capitalize, which the runtime's compile script applies to main. */
export function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1).toLowerCase();
}

function isExecutable(file: string): boolean {
  try {
    const head = Buffer.alloc(4);
    const fd = fs.openSync(file, 'r');
    try {
      fs.readSync(fd, head, 0, 4, 0);
    } finally {
      fs.closeSync(fd);
    }
    return head.equals(ELF_MAGIC);
  } catch {
    return false;
  }
}
