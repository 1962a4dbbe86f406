import { createAlarmsProvider } from '../../../../lib/platform/alarms';
import type { AlarmFeed, AlarmsProvider } from '../../../../lib/platform/alarms';
import { ManualClock } from './manual-clock';

const START = Date.parse('2030-01-01T00:00:00.000Z');
const AUTH = 'uuid-1:secret-1';
const TRIGGER = '/guest/tick';
const SECOND = 1000;
const MINUTE = 60 * SECOND;

interface Fire {
  trigger: string;
  authKey: string;
  payload: Record<string, unknown>;
  at: number;
}

function setup(fireOutcome: (attempt: number) => Promise<void> = () => Promise.resolve()) {
  const clock = new ManualClock(START);
  const fires: Fire[] = [];
  const deletions: Array<{ trigger: string; withRules: boolean }> = [];
  const logs: string[] = [];
  const provider = createAlarmsProvider({
    fireTrigger: (trigger, authKey, payload) => {
      fires.push({ trigger, authKey, payload, at: clock.now() });
      return fireOutcome(fires.length);
    },
    deleteTrigger: async (trigger, _authKey, { withRules }) => {
      deletions.push({ trigger, withRules });
    },
    log: (msg) => logs.push(msg),
    now: clock.now,
    timers: clock,
  });
  return { clock, fires, deletions, logs, provider };
}

function lifecycle(provider: AlarmsProvider, feed: AlarmFeed, lifecycleEvent: string, params: Record<string, unknown> = {}) {
  return provider.handle(feed, { lifecycleEvent, triggerName: TRIGGER, authKey: AUTH, ...params });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function httpError(statusCode: number): Error {
  return Object.assign(new Error(`POST trigger returned HTTP ${statusCode}`), { statusCode });
}

describe('interval feed', () => {
  it('fires 30 s after CREATE by default, then every `minutes`, with the trigger payload', async () => {
    const { clock, fires, provider } = setup();
    await expect(lifecycle(provider, 'interval', 'CREATE', { minutes: 2, trigger_payload: { hello: 'world' } }))
      .resolves.toEqual({ status: 'success' });

    await clock.advanceBy(29 * SECOND);
    expect(fires).toHaveLength(0);
    await clock.advanceBy(SECOND + 5 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([30 * SECOND, 30 * SECOND + 2 * MINUTE, 30 * SECOND + 4 * MINUTE]);
    expect(fires[0]).toMatchObject({ trigger: TRIGGER, authKey: AUTH, payload: { hello: 'world' } });
  });

  it('stops at stopDate and records why', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'interval', 'CREATE', {
      minutes: 1, startDate: iso(START + MINUTE), stopDate: iso(START + MINUTE + 150 * SECOND),
    });
    await clock.advanceBy(60 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([MINUTE, 2 * MINUTE, 3 * MINUTE]);
    const read = await lifecycle(provider, 'interval', 'READ');
    expect(read.status).toMatchObject({
      active: false, reason: { kind: 'AUTO', message: 'Automatically disabled after firing last scheduled interval trigger' },
    });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('once feed', () => {
  it('fires exactly once at `date`, then is disabled', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'once', 'CREATE', { date: iso(START + 10 * MINUTE), trigger_payload: 'plain text' });
    await clock.advanceBy(10 * MINUTE - 1);
    expect(fires).toHaveLength(0);
    await clock.advanceBy(24 * 60 * MINUTE);
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ at: START + 10 * MINUTE, payload: { payload: 'plain text' } });
    const read = await lifecycle(provider, 'once', 'READ');
    expect(read).toMatchObject({
      config: { name: 'tick', namespace: 'guest', date: iso(START + 10 * MINUTE), payload: { payload: 'plain text' } },
      status: { active: false, reason: { kind: 'AUTO', message: 'Automatically disabled after firing once' } },
    });
  });

  it('deletes the trigger and its rules after firing with deleteAfterFire=rules', async () => {
    const { clock, fires, deletions, provider } = setup();
    await lifecycle(provider, 'once', 'CREATE', { date: START + MINUTE, deleteAfterFire: 'Rules ' });
    await clock.advanceBy(2 * MINUTE);
    expect(fires).toHaveLength(1);
    expect(deletions).toEqual([{ trigger: TRIGGER, withRules: true }]);
    await expect(lifecycle(provider, 'once', 'READ')).rejects.toMatchObject({
      code: 'ENTITY_NOT_FOUND', message: 'could not find trigger /guest/tick in the database',
    });
  });

  it('waits past the 24.8-day setTimeout ceiling without firing early', async () => {
    const { clock, fires, provider } = setup();
    const date = START + 40 * 24 * 60 * MINUTE;
    await lifecycle(provider, 'once', 'CREATE', { date });
    await clock.advanceBy(30 * 24 * 60 * MINUTE);
    expect(fires).toHaveLength(0);
    await clock.advanceBy(20 * 24 * 60 * MINUTE);
    expect(fires.map((fire) => fire.at)).toEqual([date]);
  });
});

describe('alarm (cron) feed', () => {
  it('fires on each cron instant and stops after the last one before stopDate', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '*/10 * * * * *', stopDate: iso(START + 35 * SECOND) });
    await clock.advanceBy(10 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([10 * SECOND, 20 * SECOND, 30 * SECOND]);
    const read = await lifecycle(provider, 'alarm', 'READ');
    expect(read.status).toMatchObject({ active: false, reason: { message: 'Automatically disabled after firing last scheduled cron trigger' } });
  });

  it('does not start before startDate', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *', startDate: iso(START + 5 * MINUTE + 30 * SECOND) });
    await clock.advanceBy(8 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([6 * MINUTE, 7 * MINUTE, 8 * MINUTE]);
  });

  it('disables itself after maxTriggers fires', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *', maxTriggers: 2 });
    await clock.advanceBy(10 * MINUTE);
    expect(fires).toHaveLength(2);
    expect((await lifecycle(provider, 'alarm', 'READ')).status)
      .toMatchObject({ active: false, reason: { message: 'Automatically disabled after reaching max triggers' } });
  });

  it('answers READ with the config and status the real package returns', async () => {
    const { provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '0 9 * * *', timezone: 'America/New_York', trigger_payload: { a: 1 } });
    await expect(lifecycle(provider, 'alarm', 'READ')).resolves.toEqual({
      config: { name: 'tick', namespace: 'guest', payload: { a: 1 }, cron: '0 9 * * *', timezone: 'America/New_York' },
      status: { active: true, dateChanged: START, dateChangedISO: '2030-01-01T00:00:00Z' },
    });
  });
});

describe('lifecycle events', () => {
  it('DELETE stops the alarm and forgets it', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await clock.advanceBy(MINUTE);
    expect(fires).toHaveLength(1);
    await expect(lifecycle(provider, 'alarm', 'DELETE')).resolves.toEqual({ status: 'success' });
    await clock.advanceBy(10 * MINUTE);
    expect(fires).toHaveLength(1);
    expect(provider.list()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('PAUSE stops firing and UNPAUSE resumes on the schedule', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await clock.advanceBy(MINUTE);
    await lifecycle(provider, 'alarm', 'PAUSE');
    expect((await lifecycle(provider, 'alarm', 'READ')).status).toMatchObject({ active: false, reason: { kind: 'USER' } });
    await clock.advanceBy(5 * MINUTE);
    expect(fires).toHaveLength(1);
    await lifecycle(provider, 'alarm', 'UNPAUSE');
    await clock.advanceBy(2 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([MINUTE, 7 * MINUTE, 8 * MINUTE]);
    expect((await lifecycle(provider, 'alarm', 'READ')).status).toEqual(expect.objectContaining({ active: true }));
  });

  it('UPDATE reschedules with the new parameters and refuses an empty update', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'interval', 'CREATE', { minutes: 10, startDate: START + MINUTE });
    await lifecycle(provider, 'interval', 'UPDATE', { minutes: 1, trigger_payload: { v: 2 } });
    await clock.advanceBy(3 * MINUTE);
    // The grid still starts at startDate; only the period changed.
    expect(fires.map((fire) => fire.at - START)).toEqual([MINUTE, 2 * MINUTE, 3 * MINUTE]);
    expect(fires[0]?.payload).toEqual({ v: 2 });
    await expect(lifecycle(provider, 'interval', 'UPDATE', { cron: '* * * * *' }))
      .rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'no updatable parameters were specified' });
  });

  it('refuses a second CREATE, and hides the alarm from another key', async () => {
    const { provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await expect(lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' }))
      .rejects.toMatchObject({ code: 'ENTITY_EXISTS', message: 'error creating alarm trigger.' });
    await expect(provider.handle('alarm', { lifecycleEvent: 'READ', triggerName: TRIGGER, authKey: 'other:key' }))
      .rejects.toMatchObject({ code: 'ENTITY_NOT_FOUND' });
  });

  it.each([
    [{ lifecycleEvent: 'RESUME', triggerName: TRIGGER, authKey: AUTH }, 'unsupported lifecycleEvent'],
    [{ lifecycleEvent: 'CREATE', authKey: AUTH }, 'no trigger name parameter was provided'],
    [{ lifecycleEvent: 'CREATE', triggerName: TRIGGER }, 'no authKey parameter was provided'],
  ])('rejects %j with "%s"', async (params, message) => {
    const { provider } = setup();
    await expect(provider.handle('alarm', params)).rejects.toMatchObject({ code: 'INVALID_INPUT', message });
  });
});

describe('CREATE validation', () => {
  const future = iso(START + 60 * MINUTE);
  const past = iso(START - MINUTE);
  it.each<[AlarmFeed, Record<string, unknown>, string]>([
    ['alarm', {}, 'alarms trigger feed is missing the cron parameter'],
    ['alarm', { cron: 'every minute' }, "cron pattern 'every minute' is not valid"],
    ['alarm', { cron: '61 * * * *' }, "cron pattern '61 * * * *' is not valid"],
    ['alarm', { cron: '* * * * * * *' }, "cron pattern '* * * * * * *' is not valid"],
    ['alarm', { cron: '* * * * *', timezone: 'Mars/Olympus' }, 'Invalid timezone.'],
    ['alarm', { cron: '*/5 * * * * *', limitCronFields: true }, 'cron pattern is limited to 5 fields with 1 minute as the finest granularity'],
    ['alarm', { cron: '* * * * *', startDate: 'tomorrow' }, "startDate parameter 'tomorrow' is not a valid Date"],
    ['alarm', { cron: '* * * * *', stopDate: past }, `stopDate parameter '${past}' must be in the future`],
    ['alarm', { cron: '* * * * *', startDate: future, stopDate: iso(START + MINUTE) },
      `stopDate parameter '${iso(START + MINUTE)}' must be greater than the startDate parameter '${future}'`],
    ['alarm', { cron: '* * * * *', stopDate: future, maxTriggers: 3 }, 'maxTriggers is not allowed when the stopDate parameter is specified'],
    ['alarm', { cron: '0 0 1 1 *', stopDate: future }, 'the first scheduled trigger fire is not until after the stop date'],
    ['once', {}, 'alarms once trigger feed is missing the date parameter'],
    ['once', { date: past }, `date parameter '${past}' must be in the future`],
    ['once', { date: future, deleteAfterFire: 'maybe' }, 'deleteAfterFire parameter must be one of [false, true, rules].'],
    ['interval', {}, 'interval trigger feed is missing the minutes parameter'],
    ['interval', { minutes: '1.5' }, 'the minutes parameter must be an integer'],
    ['interval', { minutes: -2 }, 'the minutes parameter must be an integer greater than zero'],
    ['interval', { minutes: 1, stopDate: future, maxTriggers: 3 }, 'maxTriggers is not supported for the interval trigger feed'],
  ])('%s %j → "%s"', async (feed, params, message) => {
    const { provider, clock } = setup();
    await expect(lifecycle(provider, feed, 'CREATE', params)).rejects.toMatchObject({ code: 'INVALID_INPUT', message });
    expect(provider.list()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('firing failures', () => {
  it('retries a failed fire 1 s apart until it succeeds, without crashing', async () => {
    const { clock, fires, provider } = setup((attempt) => (attempt <= 2 ? Promise.reject(httpError(503)) : Promise.resolve()));
    await lifecycle(provider, 'once', 'CREATE', { date: START + MINUTE });
    await clock.advanceBy(10 * MINUTE);
    expect(fires.map((fire) => fire.at - START)).toEqual([MINUTE, MINUTE + SECOND, MINUTE + 2 * SECOND]);
    expect((await lifecycle(provider, 'once', 'READ')).status).toMatchObject({ reason: { message: 'Automatically disabled after firing once' } });
  });

  it('disables the alarm without retrying when the trigger is gone (404)', async () => {
    const { clock, fires, provider } = setup(() => Promise.reject(httpError(404)));
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await clock.advanceBy(10 * MINUTE);
    expect(fires).toHaveLength(1);
    expect((await lifecycle(provider, 'alarm', 'READ')).status).toMatchObject({
      active: false,
      reason: { kind: 'AUTO', statusCode: 404, message: 'Trigger automatically disabled: Received a 404 status code when firing the trigger' },
    });
  });

  it('maps whiskflow error codes to statuses (ENTITY_NOT_FOUND disables too)', async () => {
    const { clock, fires, provider } = setup(() => Promise.reject(Object.assign(new Error('gone'), { code: 'ENTITY_NOT_FOUND', details: {} })));
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await clock.advanceBy(5 * MINUTE);
    expect(fires).toHaveLength(1);
  });

  it('backs off while throttled and disables after 10 retries of 429', async () => {
    const { clock, fires, provider } = setup(() => Promise.reject(httpError(429)));
    await lifecycle(provider, 'once', 'CREATE', { date: START + MINUTE });
    await clock.advanceBy(60 * MINUTE);
    // First attempt plus 10 retries, each waiting max(1 s, throttled² s).
    const gaps = fires.slice(1).map((fire, i) => (fire.at - (fires[i]?.at ?? 0)) / SECOND);
    expect(gaps).toEqual([1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
    expect((await lifecycle(provider, 'once', 'READ')).status).toMatchObject({
      active: false,
      reason: { statusCode: 429, message: 'Automatically disabled after continuously receiving a 429 status code when firing the trigger' },
    });
  });

  it('gives up on one fire after 10 retries of a network error but keeps the schedule', async () => {
    const { clock, fires, provider } = setup((attempt) => (attempt <= 11 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve()));
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await clock.advanceBy(MINUTE + 30 * SECOND);
    expect(fires).toHaveLength(11);
    await clock.advanceBy(MINUTE);
    expect(fires).toHaveLength(12);
    expect((await lifecycle(provider, 'alarm', 'READ')).status).toMatchObject({ active: true });
  });

  it('a DELETE during retries stops them', async () => {
    const { clock, fires, provider } = setup(() => Promise.reject(httpError(500)));
    await lifecycle(provider, 'once', 'CREATE', { date: START + MINUTE });
    await clock.advanceBy(MINUTE + SECOND);
    await lifecycle(provider, 'once', 'DELETE');
    const seen = fires.length;
    await clock.advanceBy(10 * MINUTE);
    expect(fires).toHaveLength(seen);
  });
});

describe('list, restore and stop', () => {
  it('restores listed alarms into a new provider, keeping the original schedule', async () => {
    const first = setup();
    await lifecycle(first.provider, 'interval', 'CREATE', { minutes: 5, startDate: START + MINUTE, trigger_payload: { n: 1 } });
    const records = first.provider.list();
    first.provider.stop();
    expect(records).toEqual([expect.objectContaining({ triggerName: TRIGGER, authKey: AUTH, status: expect.objectContaining({ active: true }) })]);

    const second = setup();
    await second.clock.advanceBy(7 * MINUTE); // the "restart" happens after the first fire was due
    for (const record of records) second.provider.restore(record);
    await second.clock.advanceBy(5 * MINUTE);
    expect(second.fires.map((fire) => fire.at - START)).toEqual([11 * MINUTE]);
    expect(second.fires[0]?.payload).toEqual({ n: 1 });
  });

  it('restores an expired once alarm as disabled instead of firing it', async () => {
    const { clock, fires, provider } = setup();
    await clock.advanceBy(10 * MINUTE);
    provider.restore({
      triggerName: TRIGGER, authKey: AUTH, config: { feed: 'once', date: START + MINUTE, payload: {} }, status: { active: true, dateChanged: START },
    });
    await clock.advanceBy(10 * MINUTE);
    expect(fires).toHaveLength(0);
    expect((await lifecycle(provider, 'once', 'READ')).status).toMatchObject({
      active: false, reason: { message: 'Automatically disabled after receiving error on trigger creation: the fire once date has expired' },
    });
  });

  it('stop() clears every timer', async () => {
    const { clock, fires, provider } = setup();
    await lifecycle(provider, 'alarm', 'CREATE', { cron: '* * * * *' });
    await provider.handle('interval', { lifecycleEvent: 'CREATE', triggerName: '/guest/other', authKey: AUTH, minutes: 1 });
    expect(clock.pendingTimers).toBe(2);
    provider.stop();
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceBy(60 * MINUTE);
    expect(fires).toHaveLength(0);
  });
});
