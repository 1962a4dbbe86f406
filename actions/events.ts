/**
 * OpenWhisk entry point of the HTTP endpoint for events and callbacks (`whiskflow/events`, a
 * `raw-http` web action at `/api/v1/web/<namespace>/whiskflow/events.http`). Thin: the request the
 * controller describes in `__ow_*` parameters goes to lib/runs/event-endpoint.ts, which
 * authenticates it and delivers it as `whiskflow send` / `complete` / `heartbeat` do.
 */
import { handleEndpointRequest, type EndpointResponse } from '../lib/runs/event-endpoint';
import { completeTask, heartbeatTask, sendEvent } from '../lib/runs/event-client';
import { platformClient } from '../lib/openwhisk/client';
import type { JsonObject } from '../lib/model/json';
import { createRunStore, storeConfigOfAction } from '../lib/store/config';
import { EVENT_KEY_PARAM, STORE_PARAM } from '../lib/openwhisk/names';
import type { RunStore } from '../lib/store/run-store';

export async function main(params: JsonObject): Promise<EndpointResponse> {
  try {
    const headers = lowerCased(params.__ow_headers);
    const request = {
      method: typeof params.__ow_method === 'string' ? params.__ow_method.toUpperCase() : 'GET',
      path: typeof params.__ow_path === 'string' ? params.__ow_path : '',
      headers,
      body: bodyText(params.__ow_body, headers['content-type']),
    };
    const eventKey = typeof params[EVENT_KEY_PARAM] === 'string' ? params[EVENT_KEY_PARAM] : undefined;
    const target = { client: platformClient(), store: storeFor(params[STORE_PARAM]) };
    return await handleEndpointRequest(request, {
      eventKey,
      sendEvent: async (workflow, event) => ({ ...await sendEvent(target, workflow, event, 'http') }),
      complete: async (token, outcome) => ({ ...await completeTask(target, token, outcome) }),
      heartbeat: async (token) => ({ ...await heartbeatTask(target, token) }),
    });
  } catch (error) {
    // The message only: settings (which may hold credentials) stay out of the answer.
    const status = (error as { code?: string }).code === 'ENTITY_NOT_FOUND' ? 404 : (error as { code?: string }).code === 'INVALID_INPUT' ? 400 : 502;
    return { statusCode: status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: (error as Error).message }) };
  }
}

function lowerCased(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).flatMap(([name, text]) => (typeof text === 'string' ? [[name.toLowerCase(), text]] : [])));
}

/**
 * A raw web action's body as text. OpenWhisk base64-encodes `application/json` and binary bodies,
 * and passes text types (`text/*`, `…+json` such as `application/cloudevents+json`, a charset) as
 * they are.
 */
function bodyText(body: unknown, contentType: string | undefined): string {
  if (typeof body !== 'string') return '';
  const type = (contentType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
  const text = type.startsWith('text/') || type.endsWith('+json') || /charset=/i.test(contentType ?? '') || type === 'application/x-www-form-urlencoded';
  return text && type !== 'application/json' ? body : Buffer.from(body, 'base64').toString('utf8');
}

/** One store per settings for the life of the container. */
const stores = new Map<string, RunStore>();
function storeFor(settings: unknown): RunStore {
  const config = storeConfigOfAction(settings);
  const key = JSON.stringify(config);
  let store = stores.get(key);
  if (!store) {
    store = createRunStore(config);
    stores.set(key, store);
  }
  return store;
}
