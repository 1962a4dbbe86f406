/**
 * The `openwhisk` client inside whiskflow's own actions, one per API host and key for the life of
 * the container, over a keep-alive agent: a warm orchestrator or conductor then reuses its
 * connections to the controller (and its TLS sessions on a real OpenWhisk) instead of opening one
 * per activation. The key is read per activation, so a container always uses its current one.
 */
import http from 'node:http';
import https from 'node:https';
import openwhisk from 'openwhisk';

const clients = new Map<string, unknown>();

export function platformClient<T>(env: NodeJS.ProcessEnv = process.env): T {
  const apihost = env.__OW_API_HOST ?? '';
  const key = `${apihost} ${env.__OW_API_KEY ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    const agentOptions = { keepAlive: true, maxSockets: 64 };
    const agent = apihost.startsWith('http://') ? new http.Agent(agentOptions) : new https.Agent(agentOptions);
    client = openwhisk({ ignore_certs: true, agent } as Parameters<typeof openwhisk>[0]);
    clients.set(key, client);
  }
  return client as T;
}
