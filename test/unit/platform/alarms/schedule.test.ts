import { firstFireTime, followingFireTime, stopDateReached } from '../../../../lib/platform/alarms/schedule';
import type { AlarmConfig } from '../../../../lib/platform/alarms';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');
const MINUTE = 60_000;
const at = (iso: string) => ({ at: Date.parse(iso) });

describe('firstFireTime', () => {
  it.each<[string, AlarmConfig, ReturnType<typeof firstFireTime>]>([
    ['cron in a time zone', { feed: 'alarm', cron: '0 9 * * *', timezone: 'America/New_York', maxTriggers: -1, payload: {} },
      at('2030-01-01T14:00:00.000Z')],
    ['cron with seconds', { feed: 'alarm', cron: '30 * * * * *', maxTriggers: -1, payload: {} }, at('2030-01-01T00:00:30.000Z')],
    ['cron from a later startDate', { feed: 'alarm', cron: '0 * * * *', startDate: '2030-01-02T10:30:00Z', maxTriggers: -1, payload: {} },
      at('2030-01-02T11:00:00.000Z')],
    ['cron whose next fire is after stopDate', { feed: 'alarm', cron: '0 0 * * *', stopDate: '2030-01-01T12:00:00Z', maxTriggers: -1, payload: {} },
      { expired: 'the next scheduled trigger fire is after the stop date' }],
    ['cron whose stopDate passed', { feed: 'alarm', cron: '* * * * *', stopDate: NOW, maxTriggers: -1, payload: {} },
      { expired: 'the stop date has expired' }],
    ['interval not started', { feed: 'interval', minutes: 5, startDate: NOW + MINUTE, payload: {} }, { at: NOW + MINUTE }],
    ['interval past its start keeps the grid', { feed: 'interval', minutes: 5, startDate: NOW - 12 * MINUTE, payload: {} }, { at: NOW + 3 * MINUTE }],
    ['interval whose next fire is after stopDate', { feed: 'interval', minutes: 5, startDate: NOW - 12 * MINUTE, stopDate: NOW + MINUTE, payload: {} },
      { expired: 'the next scheduled trigger fire is after the stop date' }],
    ['once in the future', { feed: 'once', date: '2030-01-01T00:00:01Z', payload: {} }, at('2030-01-01T00:00:01.000Z')],
    ['once in the past', { feed: 'once', date: NOW, payload: {} }, { expired: 'the fire once date has expired' }],
  ])('%s', (_name, config, expected) => {
    expect(firstFireTime(config, NOW)).toEqual(expected);
  });
});

describe('followingFireTime', () => {
  const cron: AlarmConfig = { feed: 'alarm', cron: '*/10 * * * * *', maxTriggers: -1, payload: {} };

  it('never repeats a cron instant when the timer runs late', () => {
    expect(followingFireTime(cron, NOW, NOW + 25_000)).toBe(NOW + 30_000);
    expect(followingFireTime(cron, NOW, NOW)).toBe(NOW + 10_000);
  });

  it('adds the period for intervals and nothing for once', () => {
    expect(followingFireTime({ feed: 'interval', minutes: 3, startDate: NOW, payload: {} }, NOW, NOW + 1)).toBe(NOW + 3 * MINUTE);
    expect(followingFireTime({ feed: 'once', date: NOW, payload: {} }, NOW, NOW)).toBeUndefined();
  });
});

describe('stopDateReached', () => {
  it('stops an interval whose next fire would pass stopDate', () => {
    const config: AlarmConfig = { feed: 'interval', minutes: 1, startDate: NOW, stopDate: NOW + 90_000, payload: {} };
    expect(stopDateReached(config, NOW + MINUTE)).toBe('Automatically disabled after firing last scheduled interval trigger');
    expect(stopDateReached(config, NOW)).toBeUndefined();
  });
});
