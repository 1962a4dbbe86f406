/**
 * OpenWhisk entry point of the native orchestrator (`whiskflow/orchestrator`), the target of each
 * workflow's rule. Thin: split configuration from the event, build the store and the client, hand
 * the event to lib/engine/native, map errors to `{ error }`.
 *
 * Parameters: the trigger fire's payload (a CloudEvent in structured JSON, or a plain start
 * payload), over the trigger's `whiskflowWorkflow` parameter, over the package's `whiskflowStore`.
 */
import openwhisk from 'openwhisk';
import { handleEvent } from '../lib/engine/native/orchestrator';
import { parseEvent } from '../lib/engine/native/events';
import { OpenWhiskTaskInvoker, type ActionsClient } from '../lib/engine/native/invoker';
import type { JsonObject } from '../lib/model/json';
import { toWorkflow } from '../lib/model/parse';
import type { OrchestratorEvent } from '../lib/engine/native/events';
import { createRunStore, parseStoreConfig } from '../lib/store/config';
import type { RunStore } from '../lib/store/run-store';
import { toActionError } from '../lib/engine/native/action-error';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const { whiskflowStore, whiskflowWorkflow, whiskflowDefinition, ...eventParams } = params;
    const store = storeFor(whiskflowStore);
    const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + 60_000;
    const client = openwhisk({ ignore_certs: true }) as unknown as ActionsClient;
    const workflow = typeof whiskflowWorkflow === 'string' ? whiskflowWorkflow : '';
    const outcome = await handleEvent({
      store,
      invoker: new OpenWhiskTaskInvoker(client, () => deadline - 5_000),
      namespace: process.env.__OW_NAMESPACE ?? '_',
      activationId: process.env.__OW_ACTIVATION_ID ?? 'unknown',
    }, withDefinition(parseEvent(eventParams, workflow), whiskflowDefinition));
    return { ...outcome };
  } catch (error) {
    return toActionError(error);
  }
}

/** One store per configuration for the life of the container, so that its caches survive activations. */
const stores = new Map<string, RunStore>();
function storeFor(settings: unknown): RunStore {
  const config = parseStoreConfig(settings);
  const key = JSON.stringify(config);
  return stores.get(key) ?? stores.set(key, createRunStore(config)).get(key)!;
}

/** A definition on the trigger (wskdeploy deployments) is validated like a workflow file. */
function withDefinition(event: OrchestratorEvent, definition: unknown): OrchestratorEvent {
  return event.type === 'run.started' && definition !== undefined ? { ...event, definition: toWorkflow(definition) } : event;
}
