/**
 * `toStreamJson` builds structured-mode CloudEvent JSON directly (the package's constructor validates
 * every event with a JSON schema, which cost the Condition Engine a third of its time per event). The
 * `cloudevents` package stays the reference: for every event the engines produce, the JSON on the
 * wire must be what `new CloudEvent(...).toJSON()` gives.
 */
import { CloudEvent } from 'cloudevents';
import { parseConditionInput, parseOrchestrationEvent, taskInvoke, timerFired, toStreamJson, type ConditionInput, type OrchestrationEvent } from '../../../../lib/runtimes/streaming/orchestration-events';
import { runFinished, runStarted, stageCompleted, taskCompleted, taskFailed, taskTimedOut } from '../../../../lib/events/build';
import { eventSource, toStructuredJson } from '../../../../lib/events/cloudevent';

/** What the package makes of the same event, as the engines built it before (JSON text). */
function reference(event: ConditionInput | OrchestrationEvent): string {
  if (event.type === 'dev.whiskflow.task.invoke' || event.type === 'dev.whiskflow.timer.fired') {
    const cloudEvent = new CloudEvent({
      id: event.id,
      type: event.type,
      source: eventSource(event.data.runId),
      subject: 'taskKey' in event.data ? event.data.taskKey : event.data.runId,
      time: event.time,
      datacontenttype: 'application/json',
      data: JSON.parse(JSON.stringify(event.data)) as object,
    });
    return JSON.stringify(cloudEvent.toJSON());
  }
  return JSON.stringify(toStructuredJson(event));
}

// Times as a client may send them (no milliseconds, an offset): the wire form is normalised to ISO.
const time = '2026-03-04T05:06:07+01:00';
const samples: (ConditionInput | OrchestrationEvent)[] = [
  taskInvoke({ runId: 'run 1/ä', stageId: 'work', taskKey: 'work:1:2:1', action: 'ns/pkg/work', params: { n: 2, nested: { list: [1, null] } }, completionTopic: 'whiskflow.completions', time }),
  taskInvoke({ runId: 'r', stageId: 'work', taskKey: 'work:1:0:3', action: 'work', params: {}, completionTopic: 'c', time: '2026-01-01T00:00:00.000Z', timeoutMs: 5000 }),
  timerFired({ runId: 'r', timerId: 'timeout:work:1:0:1', time }),
  runStarted({ runId: 'r', workflow: 'w', input: { items: [1, 2] }, time }),
  taskCompleted({ runId: 'r', taskKey: 'work:1:0:1', result: { kept: 1, dropped: undefined } as never, activationId: 'a1', time }),
  taskFailed({ runId: 'r', taskKey: 'work:1:0:1', error: { error: 'Boom', cause: 'because' }, time }),
  taskTimedOut({ runId: 'r', taskKey: 'work:1:0:1', timeoutMs: 100, time }),
  stageCompleted({ runId: 'r', stageId: 'work', seq: 1, status: 'succeeded', output: [1, 2], time }),
  stageCompleted({ runId: 'r', stageId: 'work', seq: 2, status: 'failed', error: { error: 'Boom', stageId: 'work' }, time }),
  runFinished({ runId: 'r', status: 'succeeded', result: { total: 3 }, time }),
];

describe('toStreamJson', () => {
  it.each(samples.map((event) => [event.type, event] as const))('%s is on the wire what the cloudevents package makes of it', (_type, event) => {
    expect(JSON.stringify(toStreamJson(event))).toBe(reference(event));
  });

  it('reads back to the same event at the engines\' boundaries', () => {
    for (const event of samples) {
      const wire = JSON.parse(JSON.stringify(toStreamJson(event))) as unknown;
      const parsed = event.type === 'dev.whiskflow.task.invoke' ? parseOrchestrationEvent(wire) : parseConditionInput(wire);
      expect(parsed).toEqual(JSON.parse(JSON.stringify({ ...event, time: new Date(event.time).toISOString() })));
    }
  });
});
