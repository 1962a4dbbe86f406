/**
 * Prepares a python:* action for its launcher (launcher.py): plain code becomes `__main__.py`, a zip
 * is extracted (its `__main__.py` and optional `virtualenv/`), as in apache/openwhisk-runtime-python.
 */
import * as path from 'node:path';
import { extractZip, launcherEnvironment, writeSource } from '../actionloop/action-files';
import { LoopFailure, type LaunchCommand, type LoopRuntimeSettings } from '../actionloop/protocol';

export interface ActionSource {
  code: string;
  binary: boolean;
  main: string;
}

export function preparePython(action: ActionSource, settings: LoopRuntimeSettings, workDir: string): LaunchCommand {
  const python = settings.python;
  if (python === undefined) throw new LoopFailure(502, 'cannot start action: no Python runtime configured');
  const dir = path.join(workDir, 'action');
  if (action.binary) extractZip(action.code, dir);
  else writeSource(dir, '__main__.py', action.code);
  return {
    executable: python.executable,
    // -u: unbuffered, so that output written just before a crash still reaches the logs.
    args: ['-u', python.launcher, dir, action.main || 'main'],
    cwd: dir,
    env: launcherEnvironment({ PYTHONIOENCODING: 'UTF-8', PYTHONDONTWRITEBYTECODE: '1' }),
  };
}
