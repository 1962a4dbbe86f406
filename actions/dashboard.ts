/**
 * OpenWhisk entry point of the run dashboard (`whiskflow/dashboard`), a `raw-http` web action:
 * on a deployment without `whiskflow local` the pages are at
 * `/api/v1/web/<namespace>/whiskflow/dashboard.http`, reading the store the package's other actions
 * write (its bound `whiskflowStore`). Thin: the request and answer translation is
 * lib/dashboard/web-action.ts, the pages lib/dashboard/handler.ts. No live stream here (a web action
 * answers once): the pages poll.
 *
 * The browser bundle travels inside this action's bundle (webpack `asset/source`, ~100 kB), so the
 * action needs nothing but its own code.
 */
import appJs from '../dist/dashboard/app.js?source';
import type { PlatformReader } from '../lib/dashboard/data';
import { createDashboardHandler, type DashboardHandler } from '../lib/dashboard/handler';
import { requestOfWebAction, webActionBase, webActionResult, type WebActionResult } from '../lib/dashboard/web-action';
import { platformClient } from '../lib/openwhisk/client';
import type { JsonObject } from '../lib/model/json';
import { createRunStore, storeConfigOfAction } from '../lib/store/config';

export async function main(params: JsonObject): Promise<WebActionResult> {
  const request = requestOfWebAction(params);
  try {
    const handler = handlerFor(params.whiskflowStore, webActionBase(process.env.__OW_ACTION_NAME ?? ''));
    return webActionResult(await handler(request), request.method);
  } catch (error) {
    // The message only: the store settings (which may hold credentials) stay out of the answer.
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: `the dashboard could not answer: ${(error as Error).message}` }) };
  }
}

// The client is looked up per call: the API key is the current activation's.
const reader: PlatformReader = {
  activations: { get: (options) => platformClient().activations.get(options) },
  rules: { get: (options) => platformClient().rules.get(options) },
  triggers: { get: (options) => platformClient().triggers.get(options) },
};

/** One handler per store and URL for the life of the container: its cache of finished runs' pages survives activations. */
const handlers = new Map<string, DashboardHandler>();
function handlerFor(settings: unknown, basePath: string): DashboardHandler {
  const config = storeConfigOfAction(settings);
  const key = `${JSON.stringify(config)} ${basePath}`;
  let handler = handlers.get(key);
  if (!handler) {
    handler = createDashboardHandler({ store: createRunStore(config), platform: reader, basePath, assets: { 'app.js': appJs } });
    handlers.set(key, handler);
  }
  return handler;
}
