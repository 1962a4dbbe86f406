/**
 * `whiskflow/timer`: enforces a task's `timeout` without blocking the orchestrator. Invoked
 * non-blocking when an attempt starts; sleeps, then reports the attempt as failed with
 * `whiskflow.Timeout`. If the attempt finished first, the orchestrator ignores this report.
 * Its own time limit (set at deploy) bounds the longest task timeout it can enforce.
 */
import { TASK_PARAM } from '../lib/runtimes/native/invoker';
import { parseTaskContext } from '../lib/runtimes/native/events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject } from '../lib/model/json';
import { fireTaskOutcome } from '../lib/report/native';
import { toActionError } from '../lib/runtimes/native/action-error';

export async function main(params: JsonObject): Promise<JsonObject> {
  try {
    const context = parseTaskContext(params[TASK_PARAM]);
    const timeoutMs = typeof params.timeoutMs === 'number' ? params.timeoutMs : 0;
    const deadline = Number(process.env.__OW_DEADLINE) || Date.now() + timeoutMs + 10_000;
    await sleep(Math.min(timeoutMs, Math.max(0, deadline - Date.now() - 3_000)));
    await fireTaskOutcome(context, { error: 'whiskflow.Timeout' }, { deadline: deadline - 500 });
    return { timedOut: true, runId: context.runId, seq: context.seq, index: context.index, attempt: context.attempt };
  } catch (error) {
    return toActionError(error);
  }
}
