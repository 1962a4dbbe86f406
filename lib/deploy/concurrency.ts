/**
 * How many activations one container of a whiskflow action serves at once (`limits.concurrency`).
 *
 * The orchestrator and the task conductor spend their activations waiting on the store and the
 * controller, so a container that serves many of them at once keeps its warm cache, shares its
 * store requests (group commit, lib/store/group-commit.ts) and spares the platform a container per
 * in-flight completion: on the local platform a 1,000-task map costs ~1 store request per task
 * instead of ~2.2 and a quarter of the action CPU (docs/benchmarks.md). Stock OpenWhisk allows 1
 * (`limits.concurrency.max`), and refuses more with "concurrency N exceeds allowed threshold of M"
 * (apache/openwhisk ErrorResponse.scala): a deploy that names no concurrency asks for
 * DEFAULT_RUNTIME_CONCURRENCY and, when refused so, takes the threshold the platform names.
 */
import { statusOf } from '../openwhisk/status';

export const DEFAULT_RUNTIME_CONCURRENCY = 32;

/** The threshold a platform named when it refused an action's `limits.concurrency`; undefined for any other failure. */
export function allowedConcurrency(error: unknown): number | undefined {
  if (statusOf(error) !== 400) return undefined;
  const body = (error as { error?: unknown }).error;
  const texts = [error instanceof Error ? error.message : '', typeof body === 'string' ? body : JSON.stringify(body ?? '')];
  for (const text of texts) {
    const match = /concurrency \d+ exceeds allowed threshold of (\d+)/.exec(text);
    if (match) return Number(match[1]);
  }
  return undefined;
}
