/**
 * What the Node.js action proxy and a loop launcher (the Python, Java or Go process that runs a
 * non-Node.js action) say to each other: OpenWhisk's actionloop protocol, as the proxy of
 * apache/openwhisk-runtime-go speaks it with the launchers of the Python and Go runtimes. The
 * launcher writes an acknowledgement line (`{"ok": true}`) on fd 3 once the action is loaded, then
 * reads one `/run` body per line on stdin and writes the action's result as one line on fd 3. Its
 * stdout and stderr are the container's, so its logs land between the proxy's sentinels.
 */

/** The settings the platform puts in the `/init` message (`value.runtime`) for a loop kind. */
export interface LoopRuntimeSettings {
  family: LoopFamily;
  /** The action's memory limit (MB): Java's heap limit, Go's soft memory limit. */
  memoryMb: number;
  python?: { executable: string; launcher: string };
  java?: { executable: string; classpath: string[] };
  go?: { executable: string; launcherTemplate: string; cacheDir: string };
}

export type LoopFamily = 'python' | 'java' | 'go';

/** How to start a prepared action's launcher. */
export interface LaunchCommand {
  executable: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/**
 * Our launchers' one addition to the protocol: a failure the original runtime answers with a 502
 * (Java's Proxy does for exceptions; the runtimes' compile steps for bad code) is this field alone.
 */
export const DEVELOPER_ERROR_FIELD = '__whiskflow_developer_error';

/** A failure of /init or /run, with the HTTP status and text the runtime answers with. */
export class LoopFailure extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'LoopFailure';
  }
}

/** The actionloop proxy's texts (apache/openwhisk-runtime-go, openwhisk/*.go). */
export const LoopMessages = {
  startFailed: 'cannot start action: Command exited abruptly during initialization.',
  commandExited: 'command exited',
  notDictionary: 'The action did not return a dictionary or array.',
};
