/**
 * How the Rule Engine reaches the platform: only through the `openwhisk` client, exactly as on a
 * real OpenWhisk. Two calls: a NON-BLOCKING invoke (the engine never waits for an action), and a
 * read of an activation by id, which is how completions of unmodified actions are observed.
 */
import type { ActivationLike } from '../../events/activation';
import type { JsonObject } from '../../model/json';
import type { StreamTasksClient } from '../../openwhisk/client';

export interface StreamTaskInvoker {
  /** Starts `action` without waiting; resolves with the activation id the platform assigned. */
  invoke(action: string, params: JsonObject): Promise<string>;
  /** The finished activation, or undefined while it is still running (the API answers 404). */
  activation(activationId: string): Promise<ActivationLike | undefined>;
}

export class OpenWhiskStreamInvoker implements StreamTaskInvoker {
  constructor(private readonly client: StreamTasksClient) {}

  async invoke(action: string, params: JsonObject): Promise<string> {
    const response = await this.client.actions.invoke({ name: action, params, blocking: false });
    return response.activationId;
  }

  async activation(activationId: string): Promise<ActivationLike | undefined> {
    try {
      const record = (await this.client.activations.get({ name: activationId })) as ActivationLike & { response?: ActivationLike['response'] };
      // A record without a response is not finished yet (some platforms list running activations).
      return record.response ? record : undefined;
    } catch (error) {
      if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
      throw error;
    }
  }
}
