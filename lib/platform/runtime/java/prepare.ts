/**
 * Prepares a java:* action for its launcher (WhiskflowLauncher.java): the jar is written to the
 * container's directory and put on the class path with Gson, as apache/openwhisk-runtime-java does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launcherEnvironment } from '../actionloop/action-files';
import { LoopFailure, type LaunchCommand, type LoopRuntimeSettings } from '../actionloop/protocol';
import type { ActionSource } from '../python/prepare';

/** Below this a JVM does not start; OpenWhisk's minimum action memory (128 MB) is above it. */
const MIN_HEAP_MB = 32;

export function prepareJava(action: ActionSource, settings: LoopRuntimeSettings, workDir: string): LaunchCommand {
  const java = settings.java;
  if (java === undefined) throw new LoopFailure(502, 'cannot start action: no Java runtime configured');
  if (!action.binary) {
    throw new LoopFailure(502, 'An error has occurred (see logs for details): java.util.zip.ZipException: the code of a Java action must be a jar');
  }
  const jar = path.join(workDir, 'action.jar');
  fs.writeFileSync(jar, Buffer.from(action.code, 'base64'));
  return {
    executable: java.executable,
    args: [
      `-Xmx${Math.max(MIN_HEAP_MB, Math.floor(settings.memoryMb))}m`,
      // Startup matters more than peak throughput for short activations.
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      // The launcher makes System.getenv() see __OW_* values, as the runtime does, and opens fd 3.
      '--add-opens', 'java.base/java.util=ALL-UNNAMED',
      '--add-opens', 'java.base/java.io=ALL-UNNAMED',
      '-cp', [jar, ...java.classpath].join(path.delimiter),
      'WhiskflowLauncher',
      action.main || 'main',
    ],
    cwd: workDir,
    env: launcherEnvironment({}),
  };
}
