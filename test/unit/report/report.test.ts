import { reportingAction, reportTaskOutcome } from '../../../lib/report';
import { MemoryBroker, MemoryEventStream, STREAM_TASK_PARAM, STREAM_URL_PARAM } from '../../../lib/runtimes/streaming';
import { EVENT_TYPES } from '../../../lib/events/types';
import type { DeliveryClient } from '../../../lib/openwhisk/client';
import type { TaskContext } from '../../../lib/runtimes/native/events';
import { keyedStartEvent, parseEvent, runStartedEvent, toPayload } from '../../../lib/runtimes/native/events';
import type { JsonObject } from '../../../lib/model/json';

const context: TaskContext = { runId: 'r1', workflow: 'wf', position: 2, index: 7, attempt: 1, trigger: 'whiskflow-wf', stageId: 'each' };

function recordingClient() {
  const fired: { name: string; params?: JsonObject }[] = [];
  const client: DeliveryClient = {
    triggers: { invoke: async (options) => { fired.push(options); return { activationId: 'trigger-1' }; } },
    actions: { invoke: async () => ({ activationId: 'x' }) },
    activations: { get: async () => ({ logs: [JSON.stringify({ success: true, action: 'guest/whiskflow/orchestrator' })] }) },
  };
  return { client, fired };
}

const streamTask = { runId: 'r9', stageId: 's', taskKey: 's:1:0:1', completionTopic: 'completions' };

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

  it('produces to the run\'s completion topic when the streaming engines started the action', async () => {
    const broker = new MemoryBroker(2);
    await reportTaskOutcome({ [STREAM_TASK_PARAM]: streamTask, [STREAM_URL_PARAM]: 'memory://' }, { error: 'no numbers' }, { connect: () => new MemoryEventStream(broker) });
    expect(broker.events('completions')).toEqual([
      expect.objectContaining({ id: 'r9/s:1:0:1/failed', type: EVENT_TYPES.taskFailed, data: expect.objectContaining({ runId: 'r9', error: { error: 'no numbers' } }) }),
    ]);
  });

  it('refuses to report for an action not started by whiskflow', async () => {
    const { client } = recordingClient();
    await expect(reportTaskOutcome({}, { result: {} }, { client })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('reportingAction: one wrapper, the transport chosen by how the action was invoked', () => {
  it('produces the wrapped action\'s result as the task\'s completion and returns it', async () => {
    const broker = new MemoryBroker(2);
    const main = reportingAction(async (params) => ({ doubled: (params.n as number) * 2 }), { connect: () => new MemoryEventStream(broker) });
    const result = await main({
      n: 21,
      [STREAM_TASK_PARAM]: { runId: 'r9', stageId: 's', taskKey: 's:1:0:1', completionTopic: 'completions' },
      [STREAM_URL_PARAM]: 'memory://',
    });
    expect(result).toEqual({ doubled: 42 });
    expect(broker.events('completions')).toEqual([
      expect.objectContaining({ id: 'r9/s:1:0:1/completed', type: EVENT_TYPES.taskCompleted, data: expect.objectContaining({ runId: 'r9', result: { doubled: 42 } }) }),
    ]);
  });

  it('reports a thrown error as task.failed', async () => {
    const broker = new MemoryBroker(2);
    const main = reportingAction(() => {
      throw new TypeError('bad input');
    }, { connect: () => new MemoryEventStream(broker) });
    await main({ [STREAM_TASK_PARAM]: { runId: 'r9', stageId: 's', taskKey: 's:1:0:1', completionTopic: 'completions' }, [STREAM_URL_PARAM]: 'memory://' });
    expect(broker.events('completions')[0]).toMatchObject({ type: EVENT_TYPES.taskFailed, data: { error: { error: 'TypeError', cause: 'bad input' } } });
  });

  it('runs the action as is when no engine started it', async () => {
    const { client, fired } = recordingClient();
    const main = reportingAction((params) => ({ echo: params.x ?? null }), { client, connect: () => {
      throw new Error('must not connect');
    } });
    await expect(main({ x: 1 })).resolves.toEqual({ echo: 1 });
    expect(fired).toEqual([]);
  });

  it('fires the same action\'s outcome into the workflow\'s trigger when the native orchestrator started it', async () => {
    const { client, fired } = recordingClient();
    const seen: JsonObject[] = [];
    const main = reportingAction(async (params) => {
      seen.push(params);
      return { doubled: (params.n as number) * 2 };
    }, { client, activationId: 'self-2', deadline: Date.now() + 5_000 });
    await expect(main({ n: 21, __whiskflow: context as unknown as JsonObject })).resolves.toEqual({ doubled: 42 });
    expect(seen).toEqual([{ n: 21 }]);
    expect(parseEvent(fired[0]!.params!, 'wf')).toMatchObject({ type: 'task.completed', eventId: 'r1/2/7/1/completed', result: { doubled: 42 }, activationId: 'self-2' });
  });

  it('reports a thrown error as task.failed natively too, with the error\'s name and message', async () => {
    const { client, fired } = recordingClient();
    const main = reportingAction(() => {
      throw new TypeError('bad input');
    }, { client, deadline: Date.now() + 5_000 });
    await expect(main({ __whiskflow: context as unknown as JsonObject })).resolves.toEqual({ error: 'bad input' });
    expect(parseEvent(fired[0]!.params!, 'wf')).toMatchObject({ type: 'task.failed', error: { error: 'TypeError', cause: JSON.stringify({ name: 'TypeError', message: 'bad input' }) } });
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
