/**
 * The local OpenWhisk-compatible platform: the REST API (controller) on loopback with web actions and
 * API routes, the Node.js action runtime, the built-in alarms, cloudant (changes feed), utils and apimgmt packages, and CouchDB
 * persistence (embedded pouchdb-server unless a real CouchDB is given). Official clients (`openwhisk`
 * npm, wsk, wskdeploy) work against it unchanged.
 */
import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ensureError } from '../errors';
import { startEmbeddedCouch } from '../store/embedded-couch';
import { BuildOptions } from './entities';
import { BuiltinHandler, Invoker } from './invoker';
import { LimitOverrides, SystemLimits, resolveLimits } from './limits';
import { ApiServices } from './api/context';
import { AlarmsPackage, installAlarmsPackage } from './builtins/alarms-package';
import { installCloudantPackage } from './builtins/cloudant-package';
import { installUtilsPackage } from './builtins/utils-package';
import { createApiServer, type HttpRoute } from './http/server';
import { ActivationStore } from './persistence/activation-store';
import { DEFAULT_DB_PREFIX, openDatabases } from './persistence/couch';
import { CodeStore } from './persistence/code-store';
import { EntityStore } from './persistence/entity-store';
import { GUEST_AUTH, SYSTEM_AUTH, SYSTEM_NAMESPACE, SubjectStore } from './persistence/subject-store';
import { Resolver } from './resolver';
import { createNodeRuntime, detectHostRuntimes, NodeRuntimeOptions } from './runtime';
import type { ActionRuntime, RuntimeStats } from './runtime/types';
import { Throttles } from './throttles';
import { webActionRoute } from './web/web-route';
import { ApiStore } from './apigw/api-store';
import { gatewayRoute } from './apigw/gateway-route';
import { installApiMgmtPackage } from './builtins/apimgmt-package';
import { TriggerFireDeps } from './trigger-fire';

export interface PlatformOptions {
  /** API port; 0 picks a free one. @default 3233 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Directory for the embedded CouchDB's files. @default '.whiskflow' */
  dataDir?: string;
  /** Port of the embedded CouchDB; 0 picks a free one. @default 0 */
  couchPort?: number;
  /** A running CouchDB to use instead of the embedded one (e.g. `COUCHDB_URL`). */
  couchUrl?: string;
  /** Database name prefix, so that several platforms can share one CouchDB. @default 'whisk_local_' */
  dbPrefix?: string;
  /** Use the stock OpenWhisk throttles (120 invokes/min, 100 concurrent, 60 fires/min). @default false */
  stockLimits?: boolean;
  /** Overrides of individual limits (throttles, blocking wait, sequence length, payload size). */
  limits?: LimitOverrides;
  /** Options of the Node.js runtime, or a runtime to use instead (tests). */
  runtime?: NodeRuntimeOptions | { instance: ActionRuntime };
  /**
   * The real controller's `require-api-key-annotation` flag: when true, new actions get
   * `provide-api-key: false` and only actions annotated true see `__OW_API_KEY`. @default false
   */
  requireApiKeyAnnotation?: boolean;
  /** Activation records kept in memory for lists. @default 10000 */
  activationCacheSize?: number;
  /** Bytes of activation records (serialized, logs included) kept in memory. @default 64 MiB */
  activationCacheBytes?: number;
  /** Further namespaces and their `uuid:key` credentials (guest and whisk.system always exist). */
  subjects?: { namespace: string; auth: string }[];
  /** Where operational messages go (never credentials). @default nothing */
  log?: (message: string) => void;
}

/** The runtime's container statistics, plus the activation records not yet written to CouchDB. */
export interface PlatformStats extends RuntimeStats {
  pendingActivationWrites: number;
  /** Bytes of activation records held in memory, as accounted against `activationCacheBytes`. */
  cachedActivationBytes: number;
}

export type { HttpRoute };

export interface Platform {
  /** `http://127.0.0.1:<port>` */
  apihost: string;
  /** `uuid:key` of the default namespace. */
  auth: string;
  namespace: string;
  couchUrl: string;
  limits: SystemLimits;
  stats(): PlatformStats;
  /**
   * Serves `route` next to the REST API (asked before it, in the order added) until the returned
   * function is called: how the CLI mounts the run dashboard without the platform importing it.
   */
  addRoute(route: HttpRoute): () => void;
  /** Stops accepting requests, stops alarms and containers, writes pending records, stops CouchDB. */
  stop(): Promise<void>;
}

export { GUEST_AUTH, SYSTEM_AUTH };
export const GUEST_NAMESPACE = 'guest';

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const log = options.log ?? (() => undefined);
  const limits = resolveLimits(options.stockLimits === true, options.limits);
  // First: it starts no process until the first activation, and refuses bad options before anything runs.
  const runtimeOption = options.runtime;
  const ownRuntime = runtimeOption && 'instance' in runtimeOption ? undefined : (runtimeOption ?? {});
  const host = ownRuntime?.host ?? detectHostRuntimes(ownRuntime?.nodePath === undefined ? {} : { nodePath: ownRuntime.nodePath });
  const runtime = ownRuntime === undefined ? (runtimeOption as { instance: ActionRuntime }).instance : createNodeRuntime({ ...ownRuntime, host });
  let couch: Awaited<ReturnType<typeof startEmbeddedCouch>>;
  try {
    couch = await startEmbeddedCouch({
      dataDir: path.resolve(options.dataDir ?? '.whiskflow'),
      port: options.couchPort ?? 0,
      log,
      ...(options.couchUrl ? { externalUrl: options.couchUrl } : {}),
    });
  } catch (error) {
    await runtime.shutdown();
    throw error;
  }
  const cleanups: (() => Promise<void>)[] = [() => couch.stop()];
  let runtimeInCleanups = false;
  const cleanUp = async () => {
    for (const cleanup of cleanups.reverse()) {
      try { await cleanup(); } catch (error) { log(`stopping the platform: ${ensureError(error).message}`); }
    }
  };
  try {
    const databases = await openDatabases(couch.url, options.dbPrefix ?? DEFAULT_DB_PREFIX);
    const subjects = await SubjectStore.open(databases.subjects, [
      { namespace: GUEST_NAMESPACE, auth: GUEST_AUTH },
      { namespace: SYSTEM_NAMESPACE, auth: SYSTEM_AUTH },
      ...(options.subjects ?? []),
    ]);
    const codes = new CodeStore();
    cleanups.push(() => codes.close());
    const entities = await EntityStore.open(databases.whisks, codes);
    const dataDir = path.resolve(options.dataDir ?? '.whiskflow');
    mkdirSync(dataDir, { recursive: true });
    const dbPrefix = options.dbPrefix ?? DEFAULT_DB_PREFIX;
    const activations = await ActivationStore.open(databases.activations, {
      ...(options.activationCacheSize ? { cacheSize: options.activationCacheSize } : {}),
      ...(options.activationCacheBytes ? { cacheBytes: options.activationCacheBytes } : {}),
      // Next to the database's files (one journal per database prefix): a restart on the same data dir finds it.
      journalFile: path.join(dataDir, `${dbPrefix}activations.journal`),
      onError: (error) => log(`writing activation records: ${error.message}`),
    });
    const { ended, lost } = activations.recovered;
    if (ended + lost > 0) log(`recovered ${ended} activation record(s) the platform had not written when it stopped, and recorded ${lost} activation(s) that were running then as lost`);
    cleanups.push(() => activations.close());
    // After the activation store's close in the list, so before it when stopping: activations still running get recorded.
    cleanups.push(() => runtime.shutdown());
    runtimeInCleanups = true;

    let apiHost = '';
    const resolver = new Resolver(entities);
    const throttles = new Throttles(limits.throttles);
    const builtins = new Map<string, BuiltinHandler>();
    const invoker = new Invoker({
      runtime, activations, resolver, throttles, limits, builtins,
      apiHost: () => apiHost,
      requireApiKeyAnnotation: options.requireApiKeyAnnotation === true,
      kinds: host.catalog,
      platformCouchUrl: couch.url,
      readCode: (action) => entities.readCode(action),
    });
    const fire: TriggerFireDeps = { entities, resolver, invoker, activations, throttles };
    const alarms: AlarmsPackage = await installAlarmsPackage({ entities, subjects, subjectsDb: databases.subjects, fire, builtins, log });
    cleanups.push(() => alarms.stop());
    const cloudant = await installCloudantPackage({ entities, subjects, subjectsDb: databases.subjects, fire, builtins, log });
    cleanups.push(() => cloudant.stop());
    installUtilsPackage(entities);

    const buildOptions = (): BuildOptions => ({ now: Date.now(), limits, requireApiKeyAnnotation: options.requireApiKeyAnnotation === true, kinds: host.catalog });
    const services: ApiServices = { entities, activations, subjects, resolver, invoker, throttles, limits, builtins, fire, buildOptions, kinds: host.catalog };
    const apis = await ApiStore.open(databases.subjects);
    installApiMgmtPackage({ entities, subjects, resolver, builtins, apis, apiHost: () => apiHost });
    const webDeps = { entities, subjects, resolver, invoker, throttles, limits };
    const rawRoutes = [webActionRoute(webDeps), gatewayRoute(webDeps, apis)];
    const routes: HttpRoute[] = [];
    const server = createApiServer({ services, routes, rawRoutes, apiHost: () => apiHost, log });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 3233, options.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    const port = (server.address() as AddressInfo).port;
    apiHost = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
    cleanups.push(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));

    let stopping: Promise<void> | undefined;
    return {
      apihost: apiHost,
      auth: GUEST_AUTH,
      namespace: GUEST_NAMESPACE,
      couchUrl: couch.url,
      limits,
      stats: () => ({ ...runtime.stats(), pendingActivationWrites: activations.pendingCount, cachedActivationBytes: activations.cachedBytes }),
      addRoute: (route) => {
        routes.push(route);
        return () => {
          const at = routes.indexOf(route);
          if (at >= 0) routes.splice(at, 1);
        };
      },
      stop: () => { stopping ??= cleanUp(); return stopping; },
    };
  } catch (error) {
    await cleanUp();
    if (!runtimeInCleanups) await runtime.shutdown();
    throw error;
  }
}
