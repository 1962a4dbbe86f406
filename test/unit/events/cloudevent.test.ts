import { CloudEvent } from 'cloudevents';
import { taskEventFromActivation, taskErrorFromResult } from '../../../lib/events/activation';
import { runFinished, runStarted, stageCompleted, taskCompleted, taskFailed, taskTimedOut } from '../../../lib/events/build';
import { canonicalTime, fromCloudEvent, toCloudEvent, toStructuredJson } from '../../../lib/events/cloudevent';
import { EVENT_TYPES, type WhiskflowEvent } from '../../../lib/events/types';
import { hasErrorCode } from '../../../lib/errors';

const time = '2026-03-04T05:06:07.000Z';

const samples: WhiskflowEvent[] = [
  runStarted({ runId: 'r1', workflow: 'wordcount', input: { chunks: ['a b'] }, time }),
  taskCompleted({ runId: 'r1', taskKey: 'count:1:3:2', result: { a: 1 }, activationId: 'act1', time }),
  taskFailed({ runId: 'r1', taskKey: 'count:1:3:1', error: { error: 'Boom', cause: 'disk full' }, time }),
  taskTimedOut({ runId: 'r1', taskKey: 'count:1:3:1', timeoutMs: 500, time }),
  stageCompleted({ runId: 'r1', stageId: 'count', seq: 1, status: 'succeeded', output: [1, 2], time }),
  stageCompleted({ runId: 'r1', stageId: 'count', seq: 1, status: 'failed', error: { error: 'E', stageId: 'count', activationId: 'a' }, time }),
  runFinished({ runId: 'r1', status: 'failed', error: { error: 'E', cause: 'c', stageId: 's', taskKey: 's:1:0:1', activationId: 'a' }, time }),
  runFinished({ runId: 'r1', status: 'succeeded', result: null, time }),
];

describe('CloudEvents round trip', () => {
  it.each(samples.map((event) => [event.type, event] as const))('%s survives toCloudEvent → JSON → fromCloudEvent', (_type, event) => {
    const cloudEvent = toCloudEvent(event);
    expect(cloudEvent.specversion).toBe('1.0');
    expect(cloudEvent.source).toBe('/whiskflow/runs/r1');
    expect(fromCloudEvent(JSON.parse(JSON.stringify(cloudEvent)) as Record<string, unknown>)).toEqual(event);
    expect(fromCloudEvent(cloudEvent)).toEqual(event);
  });

  it('uses the stage as subject for task events, so brokers can route by it', () => {
    expect(toStructuredJson(samples[1] as WhiskflowEvent)).toMatchObject({ subject: 'count', type: EVENT_TYPES.taskCompleted, id: 'r1/count:1:3:2/completed' });
  });

  it('accepts data sent as a JSON string (binary mode bodies)', () => {
    const json = toStructuredJson(samples[1] as WhiskflowEvent);
    expect(fromCloudEvent({ ...json, data: JSON.stringify(json.data) })).toEqual(samples[1]);
  });
});

describe('deterministic ids', () => {
  it('name what the event is about, so a re-emitted event is recognisably the same', () => {
    expect(taskCompleted({ runId: 'r', taskKey: 's:1:0:1', result: 1, time }).id).toBe(taskCompleted({ runId: 'r', taskKey: 's:1:0:1', result: 2, time: 'later' }).id);
    expect(taskCompleted({ runId: 'r', taskKey: 's:1:0:1', result: 1, time }).id).not.toBe(taskCompleted({ runId: 'r', taskKey: 's:1:0:2', result: 1, time }).id);
    expect(taskFailed({ runId: 'r', taskKey: 's:1:0:1', error: { error: 'E' }, time }).id).not.toBe(taskCompleted({ runId: 'r', taskKey: 's:1:0:1', result: 1, time }).id);
  });
});

describe('fromCloudEvent rejects what the engine cannot trust', () => {
  const valid = toStructuredJson(samples[2] as WhiskflowEvent);
  it.each<[string, Record<string, unknown>, string]>([
    ['unknown type', { ...valid, type: 'com.example.other' }, 'type'],
    ['no id', { ...valid, id: '' }, 'id'],
    ['bad time', { ...valid, time: 'yesterday' }, 'time'],
    ['data not an object', { ...valid, data: [1] }, 'data'],
    ['missing runId', { ...valid, data: { ...(valid.data as object), runId: undefined } }, 'data.runId'],
    ['error without a name', { ...valid, data: { ...(valid.data as object), error: { cause: 'x' } } }, 'data.error'],
  ])('%s', (_name, raw, field) => {
    let thrown: unknown;
    try {
      fromCloudEvent(raw);
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'INVALID_INPUT')).toBe(true);
    expect((thrown as { details: { field: string } }).details.field).toBe(field);
  });

  it('rejects a CloudEvent whose type is foreign', () => {
    expect(() => fromCloudEvent(new CloudEvent({ type: 'x.y', source: '/s', data: {} }))).toThrow(/event type/);
  });
});

describe('event times', () => {
  const completed = (eventTime: unknown) => ({ ...toStructuredJson(taskCompleted({ runId: 'r', taskKey: 's:1:0:1', result: 1, time })), time: eventTime });

  it.each(['2026-03-04T05:06:07.000Z', '2026-03-04T05:06:07Z', '2026-03-04T06:06:07+01:00', '2026-03-04T24:00:00.000Z', '2026-02-30T00:00:00.000Z'])('accepts %s, as Date.parse does', (eventTime) => {
    expect(fromCloudEvent(completed(eventTime)).time).toBe(eventTime);
  });

  it.each(['2026-13-04T05:06:07.000Z', '2026-03-32T05:06:07.000Z', '2026-03-04T05:60:07.000Z', 'yesterday', ''])('rejects %s', (eventTime) => {
    expect(() => fromCloudEvent(completed(eventTime))).toThrow(/event time/);
  });

  it.each([
    ['2026-03-04T05:06:07.000Z', '2026-03-04T05:06:07.000Z'],
    ['2026-03-04T05:06:07Z', '2026-03-04T05:06:07.000Z'],
    ['2026-03-04T06:06:07+01:00', '2026-03-04T05:06:07.000Z'],
    ['2026-02-30T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
    ['2026-04-31T00:00:00.000Z', '2026-05-01T00:00:00.000Z'],
  ])('writes %s as toISOString does: %s', (given, written) => {
    expect(canonicalTime(given)).toBe(written);
    expect(canonicalTime(given)).toBe(new Date(given).toISOString());
  });
});

describe('activation records become task events', () => {
  it.each<[string, { success: boolean; status?: string; result?: unknown }, string, unknown]>([
    ['success', { success: true, result: { n: 1 } }, EVENT_TYPES.taskCompleted, { result: { n: 1 } }],
    ['application error with a string', { success: false, status: 'application error', result: { error: 'NotFound' } }, EVENT_TYPES.taskFailed, { error: { error: 'NotFound' } }],
    ['application error with an Error-like object', { success: false, result: { error: { name: 'TypeError', message: 'x is undefined' } } }, EVENT_TYPES.taskFailed,
      { error: { error: 'TypeError', cause: 'x is undefined' } }],
    ['developer error without result', { success: false, status: 'action developer error' }, EVENT_TYPES.taskFailed,
      { error: { error: 'whiskflow.ActionFailed', cause: 'action developer error' } }],
    ['an error field counts even if success is claimed', { success: true, result: { error: 'Oops' } }, EVENT_TYPES.taskFailed, { error: { error: 'Oops' } }],
  ])('%s', (_name, response, type, data) => {
    const event = taskEventFromActivation('r', 'st:1:0:1', { activationId: 'a9', end: Date.parse(time), response });
    expect(event.type).toBe(type);
    expect(event.time).toBe(time);
    expect(event.data).toMatchObject({ runId: 'r', stageId: 'st', taskKey: 'st:1:0:1', activationId: 'a9', ...(data as object) });
  });

  it('keeps an object error without name or message as its JSON cause', () => {
    expect(taskErrorFromResult({ error: { code: 7 } })).toEqual({ error: 'whiskflow.ActionFailed', cause: '{"code":7}' });
  });
});
