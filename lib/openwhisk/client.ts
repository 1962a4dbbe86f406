/**
 * The one typed view of the `openwhisk` npm client (apache/openwhisk-client-js) that whiskflow's
 * engine, deploy, report, CLI and actions share: the calls whiskflow makes, with the options it
 * passes and the parts of the answers it reads. The package's own typings are looser (and wrong in
 * places, e.g. `actions.get` has no `code` flag), so the client is cast to this view in exactly one
 * place, `createClient`.
 *
 * A module that needs only some calls asks for a `ClientPart` of it (`DeliveryClient`,
 * `ActionsClient`, ...), so that a unit test fakes just those.
 */
import http from 'node:http';
import https from 'node:https';
import openwhisk from 'openwhisk';
import type { JsonObject } from '../model/json';

export type KeyValue = { key: string; value: unknown };

/** An action as `GET /actions/<name>` answers (the fields whiskflow reads). */
export interface ActionRecord {
  namespace?: string;
  annotations?: KeyValue[];
  parameters?: KeyValue[];
}

/** A trigger as `GET /triggers/<name>` answers (the fields whiskflow reads). */
export interface TriggerRecord {
  annotations?: KeyValue[];
  parameters?: KeyValue[];
}

/**
 * Options of a platform call that names an entity: `/namespace/[package/]name` or relative. A type,
 * not an interface, so that a test's fake taking `{ name: string; [key: string]: unknown }` fits.
 */
export type Named = { name: string };

export interface WhiskClient {
  actions: {
    /** Non-blocking (or blocking) invoke; the platform always assigns an activation id. */
    invoke(options: Named & { params?: JsonObject; blocking?: boolean }): Promise<{ activationId: string }>;
    get(options: Named & { code?: boolean }): Promise<ActionRecord>;
    update(options: Named & { action?: object }): Promise<unknown>;
    delete(options: Named): Promise<unknown>;
  };
  triggers: {
    /** Fire; OpenWhisk answers 204 without an activation id when no rule is active. */
    invoke(options: Named & { params?: JsonObject }): Promise<{ activationId?: string }>;
    get(options: Named): Promise<TriggerRecord>;
    list(options: { limit?: number; skip?: number }): Promise<unknown>;
    update(options: Named & { trigger?: object }): Promise<unknown>;
    delete(options: Named): Promise<unknown>;
  };
  rules: {
    get(options: Named): Promise<unknown>;
    update(options: Named & { action: string; trigger: string }): Promise<unknown>;
    delete(options: Named): Promise<unknown>;
  };
  packages: {
    update(options: Named & { package?: object }): Promise<unknown>;
    delete(options: Named): Promise<unknown>;
  };
  feeds: {
    create(options: Named & { trigger: string; params?: object }): Promise<unknown>;
    delete(options: Named & { trigger: string }): Promise<unknown>;
  };
  activations: {
    get(options: Named): Promise<{ logs?: unknown[]; response?: { success?: boolean; result?: unknown } }>;
    /** client-js lib/activations.js; `docs: true` returns whole records. */
    list(options: { name: string; since?: number; upto?: number; limit?: number; skip?: number; docs?: boolean }): Promise<unknown>;
  };
}

/** Which calls of which resource a module uses: `{ actions: 'invoke' | 'get' }`. */
export type CallsOf = { [R in keyof WhiskClient]?: keyof WhiskClient[R] };

/** The part of the client with just `P`'s calls, e.g. `ClientPart<{ triggers: 'invoke' }>`. */
export type ClientPart<P extends CallsOf> = {
  [R in keyof P & keyof WhiskClient]: Pick<WhiskClient[R], Extract<P[R], keyof WhiskClient[R]>>;
};

/** Starting tasks (lib/runtimes/native/invoker.ts). */
export type ActionsClient = ClientPart<{ actions: 'invoke' }>;
/** The task conductor's look-up of the action it is about to run (lib/runtimes/native/action-check.ts). */
export type ActionLookupClient = ClientPart<{ actions: 'get' }>;
/** The streaming engine's Rule Engine: non-blocking invokes, and reads of their activations (lib/runtimes/streaming/task-invoker.ts). */
export type StreamTasksClient = ClientPart<{ actions: 'invoke'; activations: 'get' }>;
/** Firing a trigger and making sure its rules ran (lib/openwhisk/deliver.ts). */
export type DeliveryClient = ClientPart<{ triggers: 'invoke'; actions: 'invoke'; activations: 'get' }>;
/** Reading a trigger's activations (the sweep's lost starts, the upkeep's failures). */
export type ActivationListClient = ClientPart<{ activations: 'list' }>;
/** Which feed triggers exist, and the workflows deployed with wskdeploy (their trigger carries the definition). */
export type TriggerReadClient = ClientPart<{ triggers: 'list' | 'get' }>;
/** Installing and removing entities (lib/deploy). */
export type ManagementClient = ClientPart<{
  packages: 'update' | 'delete';
  actions: 'update' | 'get' | 'delete';
  triggers: 'update' | 'get' | 'delete';
  rules: 'update' | 'delete';
  feeds: 'create' | 'delete';
}>;

export interface ClientOptions {
  apihost: string;
  apiKey: string;
  namespace?: string;
  /** Keep connections (and TLS sessions) open between calls. */
  keepAlive?: boolean;
}

/**
 * A client for `apihost` with `apiKey`. Certificates are not checked, as `wsk -i` does: a local
 * platform and many private OpenWhisk installations use self-signed ones.
 */
export function createClient(options: ClientOptions): WhiskClient {
  const agentOptions = { keepAlive: true, maxSockets: 64 };
  const agent = options.keepAlive
    ? (options.apihost.startsWith('http://') ? new http.Agent(agentOptions) : new https.Agent(agentOptions))
    : undefined;
  return openwhisk({
    apihost: options.apihost, api_key: options.apiKey, ignore_certs: true,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(agent ? { agent } : {}),
  } as Parameters<typeof openwhisk>[0]) as unknown as WhiskClient;
}

const platformClients = new Map<string, WhiskClient>();

/**
 * The client inside whiskflow's own actions, one per API host and key for the life of the
 * container, over a keep-alive agent: a warm orchestrator or conductor then reuses its connections
 * to the controller (and its TLS sessions on a real OpenWhisk) instead of opening one per
 * activation. The key is read per activation, so a container always uses its current one.
 */
export function platformClient(env: NodeJS.ProcessEnv = process.env): WhiskClient {
  const apihost = env.__OW_API_HOST ?? '';
  const apiKey = env.__OW_API_KEY ?? '';
  const key = `${apihost} ${apiKey}`;
  let client = platformClients.get(key);
  if (!client) {
    client = createClient({ apihost, apiKey, keepAlive: true });
    platformClients.set(key, client);
  }
  return client;
}
