/**
 * A non-Node.js action inside the Node.js action proxy: /init prepares the code for its kind's
 * launcher and starts it (proxy.ts then answers as the actionloop proxy would); /run hands each
 * body to the launcher.
 */
import { prepareGo } from '../go/prepare';
import { prepareJava } from '../java/prepare';
import { preparePython, type ActionSource } from '../python/prepare';
import { LoopProcess } from './loop-process';
import type { LaunchCommand, LoopRuntimeSettings } from './protocol';

export { LoopFailure } from './protocol';
export type { LoopRuntimeSettings } from './protocol';

export async function startLoopAction(action: ActionSource, settings: LoopRuntimeSettings, workDir: string): Promise<LoopProcess> {
  return LoopProcess.start(await launchCommand(action, settings, workDir));
}

function launchCommand(action: ActionSource, settings: LoopRuntimeSettings, workDir: string): LaunchCommand | Promise<LaunchCommand> {
  switch (settings.family) {
    case 'python':
      return preparePython(action, settings, workDir);
    case 'java':
      return prepareJava(action, settings, workDir);
    case 'go':
      return prepareGo(action, settings, workDir);
  }
}

export function isLoopRuntimeSettings(value: unknown): value is LoopRuntimeSettings {
  const family = (value as { family?: unknown } | null)?.family;
  return typeof value === 'object' && value !== null && (family === 'python' || family === 'java' || family === 'go');
}
