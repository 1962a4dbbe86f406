/**
 * Connection settings shared by the workflow commands (not a command itself): the OpenWhisk API
 * and the run store, from the environment / `.env`. Defaults point at `whiskflow local`.
 * `WHISK_APIHOST`/`WHISK_AUTH` (wsk's names) are accepted next to whiskflow's own.
 */
import openwhisk from 'openwhisk';
import { resolve } from 'path';
import { loadConfig } from '../../config';
import { createRunStore, storeConfigFromEnv, type StoreConfig } from '../../store/config';
import type { RunStore } from '../../store/run-store';
import type { ActionsClient } from '../../engine/native/invoker';
import type { ActivationListClient, TriggerReadClient } from '../../engine/native/lost-starts';
import type { DeliveryClient } from '../../report';
import type { ManagementClient } from '../../triggers/manager';

/** The `openwhisk` client as the parts of whiskflow that use it see it. */
export type WhiskClient = ManagementClient & DeliveryClient & ActionsClient & ActivationListClient & TriggerReadClient;

export const LOCAL_APIHOST = 'http://127.0.0.1:3233';
/** The standalone OpenWhisk's well-known guest key (public, not a secret). */
export const GUEST_AUTH = '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP';

export interface Connection {
  apihost: string;
  auth: string;
  storeConfig: StoreConfig;
  client: WhiskClient;
  store: RunStore;
  /** Where the action bundles are (`npm run build` writes them). */
  bundlesDir: string;
}

export interface ConnectionOverrides {
  apihost?: string;
  auth?: string;
  storeConfig?: StoreConfig;
  bundlesDir?: string;
}

export function connect(overrides: ConnectionOverrides = {}, env: NodeJS.ProcessEnv = process.env): Connection {
  const config = loadConfig();
  const apihost = overrides.apihost ?? env.WHISK_APIHOST ?? config.apihost ?? LOCAL_APIHOST;
  const auth = overrides.auth ?? env.WHISK_AUTH ?? config.auth ?? GUEST_AUTH;
  const storeConfig = overrides.storeConfig ?? storeConfigFromEnv(env);
  return {
    apihost, auth, storeConfig,
    client: openwhisk({ apihost: withProtocol(apihost), api_key: auth, ignore_certs: true }) as unknown as WhiskClient,
    store: createRunStore(storeConfig),
    bundlesDir: overrides.bundlesDir ?? env.WHISKFLOW_BUNDLES_DIR ?? resolve(__dirname, '../../../actions'),
  };
}

/** wsk accepts a bare `host:port`; the JS client wants a URL. */
function withProtocol(apihost: string): string {
  return /^https?:\/\//.test(apihost) ? apihost : `https://${apihost}`;
}
