/**
 * The token of a callback task (`callback: true`): what the action is handed (parameter
 * `whiskflowToken`) and whoever finishes the work reports with (`whiskflow complete <token>`,
 * `completeCallback` in lib/report, the HTTP endpoint). It names the attempt and carries the
 * attempt's HMAC (event-seal.ts), so it cannot be forged or pointed at another attempt without the
 * deployment's event key; the orchestrator checks the HMAC as for any completion.
 *
 * Format: `wf1.<base64url JSON>`; the JSON names the attempt (native: run, workflow, seq, index,
 * attempt, trigger, stage; streaming: run, task key) and its MAC.
 */
import { InvalidInputError } from '../errors';
import { isJsonObject, type Json, type JsonObject } from '../model/json';

/** The action parameter a callback task's token arrives in. */
export const CALLBACK_TOKEN_PARAM = 'whiskflowToken';

const PREFIX = 'wf1.';

/** A native attempt (the task context, with its `token` MAC) or a streaming one (run and task key). */
export type CallbackAttempt =
  | { model: 'native'; context: JsonObject & { token?: string } }
  | { model: 'streaming'; runId: string; taskKey: string; workflow: string; mac: string; completionTopic: string };

export function encodeCallbackToken(attempt: CallbackAttempt): string {
  return PREFIX + Buffer.from(JSON.stringify(attempt)).toString('base64url');
}

export function decodeCallbackToken(token: string): CallbackAttempt {
  const bad = (why: string): InvalidInputError => new InvalidInputError(`not a whiskflow callback token: ${why}`, { expected: `${PREFIX}<base64url>` });
  if (typeof token !== 'string' || !token.startsWith(PREFIX)) throw bad(`it does not start with '${PREFIX}'`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw bad('its body is not base64url JSON');
  }
  if (!isJsonObject(decoded as Json)) throw bad('its body is not an object');
  const body = decoded as Record<string, unknown>;
  if (body.model === 'native' && isJsonObject(body.context as Json)) return { model: 'native', context: body.context as JsonObject };
  const texts = ['runId', 'taskKey', 'mac', 'workflow', 'completionTopic'] as const;
  if (body.model === 'streaming' && texts.every((field) => typeof body[field] === 'string')) {
    const field = (name: (typeof texts)[number]): string => body[name] as string;
    return { model: 'streaming', runId: field('runId'), taskKey: field('taskKey'), workflow: field('workflow'), mac: field('mac'), completionTopic: field('completionTopic') };
  }
  throw bad('it names no attempt');
}
