/**
 * The deployment's HTTP endpoint for events and callbacks (web action `whiskflow/events`, at
 * `/api/v1/web/<namespace>/whiskflow/events.http`):
 *
 * - `POST /events/<workflow>`: a CloudEvent for the workflow's `event` stages, in structured mode
 *   (`content-type: application/cloudevents+json`, the event as JSON) or binary mode (`ce-*`
 *   headers, the body its data); its correlation key is its `key` extension attribute (binary:
 *   `ce-key`), else its `subject`. Authenticated by the workflow's sender token
 *   (`authorization: Bearer <token>`, `whiskflow endpoint <workflow>` prints it): an HMAC of the
 *   workflow's name under the deployment's event key, so it can be handed to a webhook's sender
 *   without the key itself, and is good for that workflow only.
 * - `POST /callbacks/complete` `{ token, result }`, `/callbacks/fail` `{ token, error }`,
 *   `/callbacks/heartbeat` `{ token }`: a callback task's outcome or heartbeat. The token is the
 *   credential: it carries its attempt's HMAC, checked here before anything is delivered.
 *
 * Delivery is the CLI's (event-client.ts): native events and reports are fired into the workflow's
 * trigger, where the orchestrator authenticates them once more. 202 on delivery; a 4xx names what
 * is wrong with the request.
 */
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { decodeCallbackToken, type CallbackAttempt } from '../events/callback-token';
import { attemptToken, eventEndpointToken, sameToken, taskKeyToken } from '../events/event-seal';
import { keyOfCloudEvent } from '../core/correlation';
import { isJsonObject, type Json, type JsonObject } from '../model/json';
import type { TaskOutcome } from '../report';
import type { EventToSend } from './event-client';

export interface EndpointRequest {
  method: string;
  /** The path after the action's URL, e.g. `/events/orders`. */
  path: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The body as text (already decoded from the web action's base64 where the platform encoded it). */
  body: string;
}

export interface EndpointResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What the endpoint delivers with (event-client.ts against the platform and store, or fakes in tests). */
export interface EndpointDelivery {
  /** The deployment's event key; absent: every request is refused (nothing can be authenticated). */
  eventKey: string | undefined;
  sendEvent(workflow: string, event: EventToSend & { id: string }): Promise<JsonObject>;
  complete(token: string, outcome: TaskOutcome): Promise<JsonObject>;
  heartbeat(token: string): Promise<JsonObject>;
}

const reply = (statusCode: number, body: Json): EndpointResponse => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const refuse = (statusCode: number, error: string): EndpointResponse => reply(statusCode, { error });

const ROUTES = 'POST /events/<workflow> (a CloudEvent), POST /callbacks/complete|fail|heartbeat ({ token, result | error })';

export async function handleEndpointRequest(request: EndpointRequest, delivery: EndpointDelivery): Promise<EndpointResponse> {
  const parts = request.path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 && request.method === 'GET') return reply(200, { routes: ROUTES });
  if (request.method !== 'POST') return refuse(405, `only POST is accepted here (${ROUTES}), not ${request.method}`);
  if (!delivery.eventKey) return refuse(503, 'the deployment has no event key bound to this action: redeploy the whiskflow runtime (whiskflow deploy)');
  const [kind, name, extra] = parts;
  if (kind === 'events' && name && extra === undefined) return receiveCloudEvent(request, name, delivery.eventKey, delivery);
  if (kind === 'callbacks' && (name === 'complete' || name === 'fail' || name === 'heartbeat') && extra === undefined) {
    return receiveCallback(request, name, delivery.eventKey, delivery);
  }
  return refuse(404, `no such route '${request.path}': ${ROUTES}`);
}

async function receiveCloudEvent(request: EndpointRequest, workflow: string, key: string, delivery: EndpointDelivery): Promise<EndpointResponse> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer) return refuse(401, `an event for workflow '${workflow}' needs its sender token: authorization: Bearer <token> (whiskflow endpoint ${workflow} prints it)`);
  if (!sameToken(eventEndpointToken(key, workflow), bearer)) return refuse(403, `the bearer token is not workflow '${workflow}'s sender token (tokens are per workflow and deployment)`);
  let event: CloudEventV1<unknown>;
  try {
    const parsed = HTTP.toEvent({ headers: request.headers, body: request.body });
    if (Array.isArray(parsed)) return refuse(400, 'a batch of CloudEvents is not accepted: send one event per request');
    event = parsed as CloudEventV1<unknown>;
  } catch (error) {
    return refuse(400, `not a CloudEvent: ${(error as Error).message} (structured: content-type application/cloudevents+json; binary: ce-specversion, ce-id, ce-type, ce-source headers)`);
  }
  const missing = (['id', 'type', 'source'] as const).filter((field) => typeof event[field] !== 'string' || event[field] === '');
  if (missing.length > 0) return refuse(400, `the CloudEvent lacks ${missing.join(', ')}`);
  if (event.type.startsWith('dev.whiskflow.')) return refuse(400, `'${event.type}' is whiskflow's own event type: events for event stages have types of their own`);
  const correlation = keyOfCloudEvent(event as unknown as Record<string, unknown>);
  if (correlation === undefined) return refuse(400, 'the CloudEvent has no correlation key: a `key` extension attribute (binary: ce-key header) or a `subject`, a string or number of at most 200 characters');
  const sent = await delivery.sendEvent(workflow, { id: event.id, type: event.type, key: correlation, source: event.source, data: (event.data ?? null) as Json });
  return reply(202, { accepted: true, workflow, eventId: event.id, ...sent });
}

async function receiveCallback(request: EndpointRequest, what: 'complete' | 'fail' | 'heartbeat', key: string, delivery: EndpointDelivery): Promise<EndpointResponse> {
  let body: unknown;
  try {
    body = JSON.parse(request.body || 'null');
  } catch {
    return refuse(400, 'the body must be JSON: { "token": "wf1.…", "result": … } (fail: "error"; heartbeat: the token only)');
  }
  if (!isJsonObject(body as Json) || typeof (body as JsonObject).token !== 'string') return refuse(400, 'the body names no callback token: { "token": "wf1.…" }');
  const { token, result, error } = body as JsonObject;
  let attempt: CallbackAttempt;
  try {
    attempt = decodeCallbackToken(token as string);
  } catch (thrown) {
    return refuse(400, (thrown as Error).message);
  }
  if (!isAuthentic(attempt, key)) return refuse(403, 'the callback token does not carry its attempt\'s signature: it was altered, or belongs to another deployment');
  if (what === 'heartbeat') return reply(202, { accepted: true, heartbeat: true, ...await delivery.heartbeat(token as string) });
  if (what === 'complete' && result === undefined) return refuse(400, 'a completion needs a "result" (any JSON, null included)');
  if (what === 'fail' && (error === undefined || error === null)) return refuse(400, 'a failure needs an "error": a name such as "Rejected", or { "error": name, "cause": text }');
  const outcome: TaskOutcome = what === 'complete' ? { result: result as Json } : { error: error as Json };
  return reply(202, { accepted: true, ...await delivery.complete(token as string, outcome) });
}

/** Whether a token's MAC is its attempt's under `key` (the orchestrator checks it again on arrival). */
function isAuthentic(attempt: CallbackAttempt, key: string): boolean {
  if (attempt.model === 'streaming') return sameToken(taskKeyToken(key, attempt.runId, attempt.taskKey), attempt.mac);
  const context = attempt.context as Record<string, unknown>;
  const identity = {
    runId: String(context.runId), workflow: String(context.workflow), position: Number(context.position ?? context.seq), index: Number(context.index), attempt: Number(context.attempt),
    ...(typeof context.taskKey === 'string' ? { taskKey: context.taskKey } : {}), ...(typeof context.stageId === 'string' ? { stageId: context.stageId } : {}),
  };
  return sameToken(attemptToken(key, identity), context.token);
}
