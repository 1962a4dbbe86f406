/**
 * Turns feed action parameters into an alarm config, with the checks and messages of
 * apache/openwhisk-package-alarms action/alarmWebAction.js (its POST and PUT branches).
 * Pure apart from reading the injected clock value `now`.
 */
import { InvalidInputError } from '../../errors';
import { messages } from './messages';
import { dateToMs, nextCronFire, parseCron } from './schedule';
import type { AlarmConfig, AlarmFeed, DateParam, DeleteAfterFire } from './types';

/** The real package defaults an interval's first fire to 30 s after CREATE ("startDate must be in the future"). */
export const DEFAULT_INTERVAL_START_DELAY_MS = 30_000;

const DELETE_AFTER_FIRE_VALUES: readonly DeleteAfterFire[] = ['false', 'true', 'rules'];

/** `/namespace/name` → parts; a name without a leading slash is in the caller's namespace `_`. */
export function parseTriggerName(triggerName: string): { namespace: string; name: string } {
  if (triggerName.startsWith('/')) {
    const parts = triggerName.split('/');
    return { namespace: parts[1] ?? '', name: parts.slice(2).join('/') };
  }
  return { namespace: '_', name: triggerName };
}

/** Validates CREATE parameters of one feed into its config. Throws `INVALID_INPUT` with the real message. */
export function parseCreateParams(feed: AlarmFeed, params: Record<string, unknown>, now: number): AlarmConfig {
  const payload = parsePayload(params.trigger_payload) ?? {};
  if (feed === 'once') {
    if (!params.date) throw invalid(messages.onceMissingDate, 'date', params.date);
    const date = validateDate(params.date, 'date', now);
    const deleteAfterFire = params.deleteAfterFire ? parseDeleteAfterFire(params.deleteAfterFire) : undefined;
    return { feed, date, payload, ...(deleteAfterFire ? { deleteAfterFire } : {}) };
  }

  let config: AlarmConfig;
  if (feed === 'interval') {
    if (!params.minutes) throw invalid(messages.intervalMissingMinutes, 'minutes', params.minutes);
    const startDate = params.startDate ? validateDate(params.startDate, 'startDate', now) : now + DEFAULT_INTERVAL_START_DELAY_MS;
    config = { feed, minutes: parseMinutes(params.minutes), startDate, payload };
  } else {
    if (!params.cron) throw invalid(messages.alarmMissingCron, 'cron', params.cron);
    const timezone = parseTimezone(params.timezone);
    const cron = parseCronPattern(params.cron, timezone, params.limitCronFields);
    const startDate = params.startDate ? validateDate(params.startDate, 'startDate', now) : undefined;
    config = { feed, cron, payload, maxTriggers: -1, ...(timezone ? { timezone } : {}), ...(startDate !== undefined ? { startDate } : {}) };
  }

  if (params.maxTriggers && params.stopDate) {
    throw invalid(feed === 'interval' ? messages.maxTriggersWithIntervalStopDate : messages.maxTriggersWithStopDate, 'maxTriggers', params.maxTriggers);
  }
  if (params.stopDate) {
    const stopDate = validateDate(params.stopDate, 'stopDate', now, config.startDate);
    if (config.feed === 'alarm') {
      // Like the real package, measured from now (not from startDate).
      const first = nextCronFire(config.cron, config.timezone, now);
      if (first === undefined || first > dateToMs(stopDate)) throw invalid(messages.firstFireAfterStopDate, 'stopDate', stopDate);
    }
    config.stopDate = stopDate;
  }
  if (config.feed === 'alarm' && params.maxTriggers) config.maxTriggers = parseMaxTriggers(params.maxTriggers);
  return config;
}

/**
 * Validates UPDATE parameters against the alarm's current config and returns the updated config.
 * Only the fields of the alarm's own feed count; none at all is an error.
 */
export function parseUpdateParams(current: AlarmConfig, params: Record<string, unknown>, now: number): AlarmConfig {
  const next: AlarmConfig = { ...current };
  let changed = false;

  const payload = params.trigger_payload ? parsePayload(params.trigger_payload) : undefined;
  if (payload) {
    next.payload = payload;
    changed = true;
  }

  if (next.feed === 'once') {
    if (params.date) {
      next.date = validateDate(params.date, 'date', now);
      changed = true;
    }
    if (params.deleteAfterFire) {
      next.deleteAfterFire = parseDeleteAfterFire(params.deleteAfterFire);
      changed = true;
    }
    if (!changed) throw invalid(messages.noUpdatableParameters, 'params', Object.keys(params));
    return next;
  }

  // next is still a copy of current here, narrowed past `once`.
  const previous = { startDate: next.startDate, stopDate: next.stopDate };
  if (next.feed === 'interval' && params.minutes) {
    next.minutes = parseMinutes(params.minutes);
    changed = true;
  }
  if (next.feed === 'alarm' && (params.cron || params.timezone)) {
    const timezone = params.timezone ? parseTimezone(params.timezone) : next.timezone;
    next.cron = parseCronPattern(params.cron || next.cron, timezone, params.cron ? params.limitCronFields : false);
    if (timezone) next.timezone = timezone;
    changed = true;
  }
  if (params.startDate) {
    next.startDate = validateDate(params.startDate, 'startDate', now);
    changed = true;
  }
  if (params.stopDate) {
    next.stopDate = validateDate(params.stopDate, 'stopDate', now, params.startDate ? next.startDate : previous.startDate);
    changed = true;
  } else if (params.startDate && previous.stopDate !== undefined && next.startDate !== undefined
    && dateToMs(next.startDate) >= dateToMs(previous.stopDate)) {
    throw invalid(messages.startNotBeforeStop(params.startDate, previous.stopDate), 'startDate', params.startDate);
  }
  if (!changed) throw invalid(messages.noUpdatableParameters, 'params', Object.keys(params));
  return next;
}

/** A string payload becomes `{ payload: string }`, as in the real package; absent stays undefined. */
function parsePayload(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { payload: value };
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw invalid(messages.payloadNotObject, 'trigger_payload', value);
}

function validateDate(date: unknown, name: string, now: number, startDate?: DateParam): DateParam {
  if (typeof date !== 'string' && typeof date !== 'number') throw invalid(messages.dateNotValid(name, date), name, date);
  const ms = dateToMs(date);
  if (Number.isNaN(ms)) throw invalid(messages.dateNotValid(name, date), name, date);
  if (now >= ms) throw invalid(messages.dateNotInFuture(name, date), name, date);
  if (startDate !== undefined && ms <= dateToMs(startDate)) throw invalid(messages.dateNotAfterStart(name, date, startDate), name, date);
  return date;
}

function parseMinutes(value: unknown): number {
  // The real check is `+minutes !== parseInt(minutes)`: "5" passes, "5.5" and "5m" do not.
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes !== Number.parseInt(String(value), 10)) throw invalid(messages.minutesNotInteger, 'minutes', value);
  if (minutes <= 0) throw invalid(messages.minutesNotPositive, 'minutes', value);
  return minutes;
}

function parseMaxTriggers(value: unknown): number {
  const maxTriggers = Number(value);
  if (!Number.isInteger(maxTriggers)) throw invalid('the maxTriggers parameter must be an integer', 'maxTriggers', value);
  return maxTriggers;
}

function parseDeleteAfterFire(value: unknown): DeleteAfterFire {
  const normalised = String(value).trim().toLowerCase();
  const match = DELETE_AFTER_FIRE_VALUES.find((allowed) => allowed === normalised);
  if (!match) throw invalid(messages.badDeleteAfterFire, 'deleteAfterFire', value);
  return match;
}

function parseTimezone(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(messages.invalidTimezone, 'timezone', value);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
  } catch {
    throw invalid(messages.invalidTimezone, 'timezone', value);
  }
  return value;
}

function parseCronPattern(value: unknown, timezone: string | undefined, limitCronFields: unknown): string {
  if (typeof value !== 'string') throw invalid(messages.cronNotValid(value), 'cron', value);
  try {
    parseCron(value, timezone);
  } catch {
    throw invalid(messages.cronNotValid(value), 'cron', value);
  }
  if (limitCronFields && hasSecondsGranularity(value)) throw invalid(messages.cronLimitedToFiveFields, 'cron', value);
  return value;
}

/** A 6-field pattern whose seconds field is not `0` fires more often than once a minute. */
function hasSecondsGranularity(cron: string): boolean {
  const fields = cron.trim().split(/\s+/);
  return fields.length > 5 && fields[fields.length - 6] !== '0';
}

function invalid(message: string, parameter: string, value: unknown): InvalidInputError {
  return new InvalidInputError(message, { parameter, value });
}
