/** A local platform (test/helpers/local-platform.ts) with the whiskflow orchestrator deployed, for the runtimes' and dashboard's integration tests. */
import openwhisk from 'openwhisk';
import { join } from 'path';
import type { PlatformOptions } from '../../lib/platform';
import { startLocalPlatform, type LocalPlatform } from './local-platform';
import { createRunStore, type StoreConfig } from '../../lib/store/config';
import type { RunStore } from '../../lib/store/run-store';
import { deployRuntime, type RuntimeOptions } from '../../lib/deploy/runtime';
import type { ManagementClient } from '../../lib/openwhisk/client';
import type { DeliveryClient } from '../../lib/openwhisk/client';

export const ROOT = join(__dirname, '../..');
export type TestClient = ManagementClient & DeliveryClient & openwhisk.Client;

export interface DeployedPlatform {
  platform: LocalPlatform;
  client: TestClient;
  store: RunStore;
}

/** `runtime`: how the whiskflow actions are deployed (e.g. `taskEvents`: completions fired into the workflow's trigger). */
export async function startDeployedPlatform(options: PlatformOptions = {}, runtime: RuntimeOptions = {}): Promise<DeployedPlatform> {
  const platform = await startLocalPlatform(options);
  try {
    const client = openwhisk({ apihost: platform.apihost, api_key: platform.auth }) as unknown as TestClient;
    const storeConfig: StoreConfig = { kind: 'couchdb', url: platform.couchUrl, dbname: 'whiskflow' };
    const store = createRunStore(storeConfig);
    await store.ensureReady();
    await deployRuntime(client, storeConfig, join(ROOT, 'dist/actions'), runtime);
    return { platform, client, store };
  } catch (error) {
    await platform.stop();
    throw error;
  }
}
