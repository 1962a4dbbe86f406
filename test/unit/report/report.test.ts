import { reportTaskOutcome } from '../../../lib/report';
import type { DeliveryClient } from '../../../lib/openwhisk/client';
import type { TaskContext } from '../../../lib/runtimes/native/events';
import { keyedStartEvent, parseEvent, runStartedEvent, toPayload } from '../../../lib/runtimes/native/events';
import type { JsonObject } from '../../../lib/model/json';

const context: TaskContext = { runId: 'r1', workflow: 'wf', seq: 2, index: 7, attempt: 1, trigger: 'whiskflow-wf', stageId: 'each' };

function recordingClient() {
  const fired: { name: string; params?: JsonObject }[] = [];
  const client: DeliveryClient = {
    triggers: { invoke: async (options) => { fired.push(options); return { activationId: 'trigger-1' }; } },
    actions: { invoke: async () => ({ activationId: 'x' }) },
    activations: { get: async () => ({ logs: [JSON.stringify({ success: true, action: 'guest/whiskflow/orchestrator' })] }) },
  };
  return { client, fired };
}

describe('reportTaskOutcome (self-reporting actions)', () => {
  it('fires a task.completed CloudEvent that the orchestrator reads back as the same task and result', async () => {
    const { client, fired } = recordingClient();
    await reportTaskOutcome({ numbers: [1, 2], __whiskflow: context }, { result: { sum: 3 } }, { client, activationId: 'self-1', deadline: Date.now() + 5_000 });
    expect(fired).toHaveLength(1);
    expect(fired[0]!.name).toBe('whiskflow-wf');
    const event = parseEvent(fired[0]!.params!, 'wf');
    expect(event).toMatchObject({ type: 'task.completed', eventId: 'r1/2/7/1/completed', task: context, result: { sum: 3 }, activationId: 'self-1' });
  });

  it('fires task.failed for an error outcome', async () => {
    const { client, fired } = recordingClient();
    await reportTaskOutcome({ __whiskflow: context }, { error: 'no numbers' }, { client, deadline: Date.now() + 5_000 });
    expect(fired[0]!.params).toMatchObject({ type: 'dev.whiskflow.task.failed', data: { runId: 'r1', error: { error: 'whiskflow.ActionFailed', cause: 'no numbers' } } });
    expect(parseEvent(fired[0]!.params!, 'wf')).toMatchObject({ type: 'task.failed', error: { error: 'whiskflow.ActionFailed', cause: 'no numbers' } });
  });

  it('refuses to report for an action not started by whiskflow', async () => {
    const { client } = recordingClient();
    await expect(reportTaskOutcome({}, { result: {} }, { client })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('parseEvent', () => {
  it('reads a plain payload as a start request, with its input field as the run input', () => {
    expect(parseEvent({ input: { a: 1 } }, 'wf')).toMatchObject({ type: 'run.started', workflow: 'wf', input: { a: 1 } });
    expect(parseEvent({ id: 'doc', seq: '1' }, 'wf')).toMatchObject({ type: 'run.started', input: { id: 'doc', seq: '1' } });
  });

  it('keys a start that names no run by the orchestrator activation handling it, unless the event carries its key; a named run needs no key', () => {
    expect(parseEvent({ input: { a: 1 } }, 'wf', 'act1')).toMatchObject({ type: 'run.started', startKey: 'a-act1', input: { a: 1 } });
    const unnamed = toPayload(runStartedEvent('wf', 'not.a.run.id', 1));
    expect(parseEvent(unnamed, 'wf', 'act2')).toMatchObject({ startKey: 'a-act2', input: 1 });
    const keyed = toPayload(keyedStartEvent('wf', 't-fire1', { b: 2 }));
    expect(parseEvent(keyed, 'wf', 'act3')).toMatchObject({ startKey: 't-fire1', input: { b: 2 } });
    const named = parseEvent(toPayload(runStartedEvent('wf', 'r1', null)), 'wf', 'act4');
    expect(named).toMatchObject({ runId: 'r1' });
    expect(named).not.toHaveProperty('startKey');
    // Without an activation id (not in an OpenWhisk activation) there is nothing to key by.
    expect(parseEvent({ input: 1 }, 'wf')).not.toHaveProperty('startKey');
  });

  it('ignores the __ow_ parameters the platform adds (OpenWhisk 2.0 passes a fire\'s headers as __ow_headers)', () => {
    const headers = { __ow_headers: { 'content-type': 'application/json', 'user-agent': 'wsk' } };
    const completed = parseEvent({ ...toPayload(runStartedEvent('wf', 'r1', { a: 1 })), ...headers }, 'wf');
    expect(completed).toMatchObject({ type: 'run.started', runId: 'r1', input: { a: 1 } });
    expect(parseEvent({ input: { a: 1 }, ...headers }, 'wf')).toMatchObject({ input: { a: 1 } });
    expect(parseEvent({ id: 'doc', ...headers }, 'wf')).toMatchObject({ input: { id: 'doc' } });
  });

  it('rejects an unknown CloudEvent type', () => {
    expect(() => parseEvent({ specversion: '1.0', id: 'x', source: '/s', type: 'com.example.other' }, 'wf')).toThrow(/unknown event type/);
  });
});
