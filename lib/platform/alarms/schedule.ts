/**
 * When an alarm fires, as pure functions of its config and the current time. The provider only
 * arms timers for the instants computed here, so the schedule is testable without waiting.
 */
import { Cron } from 'croner';
import { messages } from './messages';
import type { AlarmConfig, DateParam } from './types';

/** Epoch ms of a date parameter; NaN when it is not a date. */
export function dateToMs(date: DateParam): number {
  return new Date(date).getTime();
}

/**
 * A paused croner job used only to compute fire times. `5-or-6-parts` matches the `cron` package of
 * the real provider: 5 fields, or 6 with seconds first; nicknames and a year field are refused.
 * Throws on a bad pattern.
 */
export function parseCron(pattern: string, timezone?: string): Cron {
  return new Cron(pattern, { paused: true, mode: '5-or-6-parts', ...(timezone ? { timezone } : {}) });
}

/** The first cron fire strictly after `afterMs`, or undefined when the pattern never fires again. */
export function nextCronFire(pattern: string, timezone: string | undefined, afterMs: number): number | undefined {
  const next = parseCron(pattern, timezone).nextRun(new Date(afterMs));
  return next ? next.getTime() : undefined;
}

export type FirstFire = { at: number } | { expired: string };

/**
 * When a newly scheduled (created, updated, unpaused or restored) alarm fires first, or why it
 * never will; mirrors provider/lib/{cron,date,interval}Alarm.js `scheduleAlarm`.
 */
export function firstFireTime(config: AlarmConfig, now: number): FirstFire {
  switch (config.feed) {
    case 'once': {
      const at = dateToMs(config.date);
      return at > now ? { at } : { expired: messages.onceDateExpired };
    }
    case 'interval': {
      const stop = config.stopDate === undefined ? undefined : dateToMs(config.stopDate);
      if (stop !== undefined && stop <= now) return { expired: messages.stopDateExpired };
      const start = dateToMs(config.startDate);
      if (start > now) return { at: start };
      // Past its start (a restore, or an UNPAUSE): keep to the original grid of fire times.
      const period = config.minutes * 60_000;
      const next = start + period * (Math.floor((now - start) / period) + 1);
      return stop !== undefined && next > stop ? { expired: messages.nextFireAfterStopDate } : { at: next };
    }
    case 'alarm': {
      const stop = config.stopDate === undefined ? undefined : dateToMs(config.stopDate);
      if (stop !== undefined && stop <= now) return { expired: messages.stopDateExpired };
      const start = config.startDate === undefined ? now : Math.max(now, dateToMs(config.startDate));
      const at = nextCronFire(config.cron, config.timezone, start);
      if (at === undefined || (stop !== undefined && at > stop)) return { expired: messages.nextFireAfterStopDate };
      return { at };
    }
    default:
      return assertNever(config);
  }
}

/** The fire after the one due at `firedAt`; undefined for `once`. */
export function followingFireTime(config: AlarmConfig, firedAt: number, now: number): number | undefined {
  switch (config.feed) {
    case 'once':
      return undefined;
    case 'interval':
      return firedAt + config.minutes * 60_000;
    case 'alarm':
      // From the later of the two so that a late timer never fires the same cron instant twice.
      return nextCronFire(config.cron, config.timezone, Math.max(firedAt, now));
    default:
      return assertNever(config);
  }
}

/**
 * After a fire: the reason to disable an alarm whose stop date comes before its next fire, as
 * provider/lib/utils.js `handleFiredTrigger` decides it; undefined to keep firing.
 */
export function stopDateReached(config: AlarmConfig, now: number): string | undefined {
  if (config.feed === 'once' || config.stopDate === undefined) return undefined;
  const stop = dateToMs(config.stopDate);
  if (config.feed === 'alarm') {
    const next = nextCronFire(config.cron, config.timezone, now);
    return next === undefined || next > stop ? messages.disabledAfterLastCron : undefined;
  }
  return now + config.minutes * 60_000 > stop ? messages.disabledAfterLastInterval : undefined;
}

function assertNever(value: never): never {
  throw new Error(`unhandled alarm config ${JSON.stringify(value)}`);
}
