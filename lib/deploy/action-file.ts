/**
 * Deploys plain OpenWhisk actions from one source file: every entry point becomes the action
 * `<package>/<name>` (exec `main` = the function), so an example's `actions.js` or `actions.py` is
 * deployable without a build step (see action-sources.ts for what counts as an entry point per
 * language). Used by the demo and the example tests; wskdeploy users get the same from the
 * example's `manifest.yaml`.
 */
import { withThrottleRetry } from '../openwhisk/throttle';
import { readActionSource } from './action-sources';
import type { ManagementClient } from '../openwhisk/client';

export interface ActionFileOptions {
  file: string;
  packageName: string;
  /** Entry points (action names) to deploy; by default every one. */
  mains?: string[];
  /** The kind; by default from the file's extension (.js, .py, .go, .jar), `<language>:default`. */
  kind?: string;
  /** Extra annotations per action, e.g. `{ sum: { 'whiskflow-report': 'self' } }`. */
  annotations?: Record<string, Record<string, unknown>>;
  timeoutMs?: number;
}

export async function deployActionFile(client: ManagementClient, options: ActionFileOptions): Promise<string[]> {
  const source = readActionSource(options.file, options.kind);
  const code = source.code;
  const mains = options.mains ?? Object.keys(source.mains);
  const deadline = Date.now() + 120_000;
  await withThrottleRetry(`update package ${options.packageName}`, () => client.packages.update({ name: options.packageName, package: {} }), { deadline });
  const names: string[] = [];
  for (const actionName of mains) {
    const name = `${options.packageName}/${actionName}`;
    const main = source.mains[actionName] ?? actionName;
    const annotations = Object.entries(options.annotations?.[actionName] ?? {}).map(([key, value]) => ({ key, value }));
    await withThrottleRetry(`update action ${name}`, () => client.actions.update({
      name, action: { exec: { kind: source.kind, code, main }, annotations, ...(options.timeoutMs ? { limits: { timeout: options.timeoutMs } } : {}) },
    }), { deadline });
    names.push(name);
  }
  return names;
}
