/**
 * Durable timers of wait stages under the native runtime. A transition that parks at a wait stores
 * when it is due (`wakeAt` on its `stage/<run>/<position>` document) and invokes nothing: no activation
 * runs, or is billed, while the run waits. The sweep (`whiskflow local`'s upkeep, or
 * `whiskflow deploy --sweep-cron` on OpenWhisk) fires the timer's completion through the workflow's
 * trigger once it is due, as any task completion: slot 0, attempt 1, sealed with the attempt's token.
 *
 * Durable because the due time is in the store: a platform or orchestrator restart loses nothing,
 * and a wait whose time passed while everything was down fires at the first sweep after. Fired
 * exactly once in effect: the completion is a create-only `result/…` and the next transition a
 * create-only claim, so a timer fired by two sweeps (or again while the first is on its way)
 * changes nothing the second time. Precision is the sweep's interval.
 */
import { deliverEvent } from '../../openwhisk/deliver';
import type { DeliveryClient } from '../../openwhisk/client';
import type { StageDoc } from '../../store/run-documents';
import { taskOutcomeEvent, toPayload, type TaskContext } from './events';
import { withAttemptToken } from './invoker';

export interface DueWait {
  runId: string;
  position: number;
  stageId: string;
}

/** The run a wait belongs to, as its head tells it. */
export interface WaitingRun {
  runId: string;
  workflow: string;
  trigger: string;
}

/** Whether `stage` is a wait whose time has come (`now`: ms since the epoch). */
export function isDueWait(stage: StageDoc | undefined, now: number): stage is StageDoc & { wakeAt: number } {
  return stage !== undefined && !stage.end && stage.wakeAt !== undefined && stage.wakeAt <= now;
}

/** Fires the completion of a due wait's timer at the run's trigger. */
export async function fireWait(client: DeliveryClient, eventKey: string | undefined, run: WaitingRun, stage: StageDoc): Promise<DueWait> {
  const task: TaskContext = { runId: run.runId, workflow: run.workflow, position: stage.position, index: 0, attempt: 1, trigger: run.trigger, stageId: stage.stageId };
  await deliverEvent(client, run.trigger, run.workflow, toPayload(taskOutcomeEvent(withAttemptToken(task, eventKey), { result: null })), Date.now() + 60_000);
  return { runId: run.runId, position: stage.position, stageId: stage.stageId };
}
