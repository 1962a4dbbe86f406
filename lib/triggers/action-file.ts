/**
 * Deploys plain Node.js actions from one source file: every exported function becomes the action
 * `<package>/<function name>` (exec `main` = the function name), so an example's `actions.js` is
 * deployable without a build step. Used by the demo and the example tests; wskdeploy users get the
 * same from the example's `manifest.yaml`.
 */
import { readFileSync } from 'fs';
import { withThrottleRetry } from '../engine/native/throttle';
import type { ManagementClient } from './manager';

export interface ActionFileOptions {
  file: string;
  packageName: string;
  /** Exported functions to deploy; by default every exported function. */
  mains?: string[];
  /** Extra annotations per action, e.g. `{ sum: { 'whiskflow-report': 'self' } }`. */
  annotations?: Record<string, Record<string, unknown>>;
  timeoutMs?: number;
}

export async function deployActionFile(client: ManagementClient, options: ActionFileOptions): Promise<string[]> {
  const code = readFileSync(options.file, 'utf8');
   
  const exported = require(options.file) as Record<string, unknown>;
  const mains = options.mains ?? Object.keys(exported).filter((name) => typeof exported[name] === 'function');
  const deadline = Date.now() + 120_000;
  await withThrottleRetry(`update package ${options.packageName}`, () => client.packages.update({ name: options.packageName, package: {} }), { deadline });
  const names: string[] = [];
  for (const main of mains) {
    const name = `${options.packageName}/${main}`;
    const annotations = Object.entries(options.annotations?.[main] ?? {}).map(([key, value]) => ({ key, value }));
    await withThrottleRetry(`update action ${name}`, () => client.actions.update({
      name, action: { exec: { kind: 'nodejs:20', code, main }, annotations, ...(options.timeoutMs ? { limits: { timeout: options.timeoutMs } } : {}) },
    }), { deadline });
    names.push(name);
  }
  return names;
}
