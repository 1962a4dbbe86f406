/**
 * The alarms feed provider: keeps alarms in memory, arms one timer per alarm for its next fire, and
 * fires triggers through `deps.fireTrigger`. Lifecycle answers and the behaviour after a fire follow
 * apache/openwhisk-package-alarms (action/alarmWebAction.js for the answers, provider/lib/utils.js
 * for firing, retrying and disabling).
 */
import { WhiskflowError, ensureError } from '../../errors';
import { RETRY_ATTEMPTS, retryDelayMs, shouldDisableOnStatus, statusCodeOf } from './fire-policy';
import { messages } from './messages';
import { firstFireTime, followingFireTime, stopDateReached } from './schedule';
import { LIFECYCLE_EVENTS } from './types';
import type {
  AlarmConfig, AlarmFeed, AlarmRecord, AlarmStatus, AlarmStatusReason, AlarmTimers, AlarmsProvider, AlarmsProviderDeps,
  LifecycleEvent,
} from './types';
import { parseCreateParams, parseTriggerName, parseUpdateParams } from './validate';

/** setTimeout's ceiling (about 24.8 days); longer waits are armed in steps. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface AlarmEntry {
  triggerName: string;
  authKey: string;
  config: AlarmConfig;
  status: AlarmStatus;
  /** Fires left before `maxTriggers` is reached; -1 means unlimited. */
  triggersLeft: number;
  /** Bumped whenever the alarm is rescheduled or stopped, so that stale timers and fires do nothing. */
  generation: number;
  timers: Set<unknown>;
}

const SUCCESS = { status: 'success' } as const;

const defaultTimers: AlarmTimers = {
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, delayMs);
    // Alarms must not keep a process alive by themselves: the platform's server does that.
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export function createAlarmsProvider(deps: AlarmsProviderDeps): AlarmsProvider {
  const now = deps.now ?? Date.now;
  const timers = deps.timers ?? defaultTimers;
  const log = deps.log ?? (() => undefined);
  const alarms = new Map<string, AlarmEntry>();
  let stopped = false;

  // ---- timers -------------------------------------------------------------------------------

  function armAt(entry: AlarmEntry, at: number, callback: () => void): void {
    if (stopped) return;
    const delay = Math.max(0, at - now());
    const step = Math.min(delay, MAX_TIMER_DELAY_MS);
    const handle = timers.setTimeout(() => {
      entry.timers.delete(handle);
      if (step < delay) armAt(entry, at, callback);
      else callback();
    }, step);
    entry.timers.add(handle);
  }

  function clearTimers(entry: AlarmEntry): void {
    for (const handle of entry.timers) timers.clearTimeout(handle);
    entry.timers.clear();
    entry.generation += 1;
  }

  function sleep(entry: AlarmEntry, delayMs: number): Promise<void> {
    return new Promise((resolve) => armAt(entry, now() + delayMs, resolve));
  }

  // ---- scheduling ---------------------------------------------------------------------------

  /** (Re)arms an active alarm from its config; one whose schedule has run out is disabled instead. */
  function schedule(entry: AlarmEntry): void {
    clearTimers(entry);
    const first = firstFireTime(entry.config, now());
    if ('expired' in first) {
      disable(entry, { kind: 'AUTO', message: messages.disabledOnCreate(first.expired) });
      log(`alarms: ${entry.triggerName} not scheduled: ${first.expired}`);
      return;
    }
    armFire(entry, first.at);
  }

  function armFire(entry: AlarmEntry, at: number): void {
    const generation = entry.generation;
    armAt(entry, at, () => onDue(entry, generation, at));
  }

  function onDue(entry: AlarmEntry, generation: number, dueAt: number): void {
    if (entry.generation !== generation || !entry.status.active) return;
    // Arm the next fire before this one's outcome is known, as cron jobs and setInterval do in the
    // real provider, so that a slow or retried fire never shifts the schedule.
    const following = followingFireTime(entry.config, dueAt, now());
    if (following !== undefined) armFire(entry, following);
    if (entry.triggersLeft === 0) return;
    fireWithRetries(entry, generation).catch((thrown: unknown) => {
      // fireWithRetries handles every failure itself; this only guards against a bug in it.
      log(`alarms: unexpected failure firing ${entry.triggerName}: ${ensureError(thrown).message}`);
    });
  }

  // ---- firing -------------------------------------------------------------------------------

  async function fireWithRetries(entry: AlarmEntry, generation: number): Promise<void> {
    let throttledCount = 0;
    if (entry.triggersLeft > 0) entry.triggersLeft -= 1;
    for (let retry = 0; ; retry += 1) {
      try {
        await deps.fireTrigger(entry.triggerName, entry.authKey, { ...entry.config.payload });
        log(`alarms: fired ${entry.triggerName}`);
        break;
      } catch (thrown: unknown) {
        const statusCode = statusCodeOf(thrown);
        log(`alarms: firing ${entry.triggerName} failed (${statusCode ?? 'no status'}): ${ensureError(thrown).message}`);
        if (entry.generation !== generation) return;
        if (statusCode !== undefined && shouldDisableOnStatus(statusCode)) {
          restoreFireCount(entry);
          disable(entry, { kind: 'AUTO', statusCode, message: messages.disabledOnFireStatus(statusCode) });
          break;
        }
        if (retry >= RETRY_ATTEMPTS) {
          restoreFireCount(entry);
          if (throttledCount === RETRY_ATTEMPTS) {
            disable(entry, { kind: 'AUTO', statusCode: 429, message: messages.disabledAfterThrottling });
          } else {
            log(`alarms: unable to reach the platform to fire ${entry.triggerName}; giving up on this fire`);
          }
          break;
        }
        // Counted only when retrying, as the real provider does: all 10 retries throttled disables.
        if (statusCode === 429) throttledCount += 1;
        await sleep(entry, retryDelayMs(throttledCount));
        if (entry.generation !== generation) return;
      }
    }
    afterFire(entry, generation);
  }

  /** A fire that never got through does not count against `maxTriggers`. */
  function restoreFireCount(entry: AlarmEntry): void {
    if (entry.config.feed === 'alarm' && entry.config.maxTriggers !== -1) entry.triggersLeft += 1;
  }

  /** What happens once a fire is over, succeeded or not (`handleFiredTrigger` in the real provider). */
  function afterFire(entry: AlarmEntry, generation: number): void {
    if (entry.generation !== generation || !entry.status.active) return;
    const config = entry.config;
    if (config.feed === 'once') {
      if (config.deleteAfterFire === 'true' || config.deleteAfterFire === 'rules') {
        forget(entry);
        deleteTrigger(entry, config.deleteAfterFire === 'rules');
      } else {
        disable(entry, { kind: 'AUTO', message: messages.disabledAfterOnce });
      }
      return;
    }
    const lastBeforeStop = stopDateReached(config, now());
    if (lastBeforeStop) {
      disable(entry, { kind: 'AUTO', message: lastBeforeStop });
    } else if (config.feed === 'alarm' && config.stopDate === undefined && entry.triggersLeft === 0) {
      disable(entry, { kind: 'AUTO', message: messages.disabledAfterMaxTriggers });
    }
  }

  function deleteTrigger(entry: AlarmEntry, withRules: boolean): void {
    if (!deps.deleteTrigger) {
      log(`alarms: ${entry.triggerName} fired once; no deleteTrigger dependency, so the trigger is kept`);
      return;
    }
    deps.deleteTrigger(entry.triggerName, entry.authKey, { withRules }).then(
      () => log(`alarms: deleted ${entry.triggerName}${withRules ? ' and its rules' : ''} after its single fire`),
      (thrown: unknown) => log(`alarms: could not delete ${entry.triggerName} after firing: ${ensureError(thrown).message}`),
    );
  }

  function disable(entry: AlarmEntry, reason: AlarmStatusReason): void {
    clearTimers(entry);
    if (!entry.status.active) return;
    entry.status = { active: false, dateChanged: now(), reason };
    log(`alarms: ${entry.triggerName} disabled: ${reason.message}`);
  }

  function forget(entry: AlarmEntry): void {
    clearTimers(entry);
    if (alarms.get(entry.triggerName) === entry) alarms.delete(entry.triggerName);
  }

  // ---- lifecycle events ---------------------------------------------------------------------

  function find(triggerName: string, authKey: string): AlarmEntry {
    const { namespace, name } = parseTriggerName(triggerName);
    // The real package looks the trigger up again under `_` when the namespace was spelled out.
    const entry = alarms.get(`/${namespace}/${name}`) ?? alarms.get(`/_/${name}`);
    // Its documents are keyed by the owner's key too, so another key cannot see the alarm.
    if (!entry || entry.authKey !== authKey) {
      throw new WhiskflowError('ENTITY_NOT_FOUND', messages.triggerNotFound(`/${namespace}/${name}`), { triggerName });
    }
    return entry;
  }

  function create(feed: AlarmFeed, triggerName: string, authKey: string, params: Record<string, unknown>): void {
    const { namespace, name } = parseTriggerName(triggerName);
    const key = `/${namespace}/${name}`;
    if (alarms.has(key)) {
      throw new WhiskflowError('ENTITY_EXISTS', messages.triggerExists, { triggerName: key, message: 'Document update conflict.' });
    }
    const config = parseCreateParams(feed, params, now());
    const entry = newEntry({ triggerName: key, authKey, config, status: { active: true, dateChanged: now() } });
    alarms.set(key, entry);
    schedule(entry);
    log(`alarms: created ${feed} alarm for ${key}`);
  }

  function update(entry: AlarmEntry, params: Record<string, unknown>): void {
    entry.config = parseUpdateParams(entry.config, params, now());
    entry.status = { active: true, dateChanged: now() };
    entry.triggersLeft = maxTriggersOf(entry.config);
    schedule(entry);
  }

  function pause(entry: AlarmEntry): void {
    disable(entry, { kind: 'USER', message: messages.pausedByUser });
  }

  function unpause(entry: AlarmEntry): void {
    if (entry.status.active) return;
    entry.status = { active: true, dateChanged: now() };
    schedule(entry);
  }

  async function handle(feed: AlarmFeed, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const event = params.lifecycleEvent;
    if (!isLifecycleEvent(event)) throw new WhiskflowError('INVALID_INPUT', messages.unsupportedLifecycleEvent, { lifecycleEvent: event });
    const triggerName = params.triggerName;
    if (typeof triggerName !== 'string' || triggerName === '') {
      throw new WhiskflowError('INVALID_INPUT', messages.noTriggerName, { parameter: 'triggerName' });
    }
    const authKey = params.authKey;
    if (typeof authKey !== 'string' || authKey === '') {
      throw new WhiskflowError('INVALID_INPUT', messages.noAuthKey, { parameter: 'authKey' });
    }

    switch (event) {
      case 'CREATE':
        create(feed, triggerName, authKey, params);
        return { ...SUCCESS };
      case 'READ':
        return readAnswer(find(triggerName, authKey));
      case 'UPDATE':
        update(find(triggerName, authKey), params);
        return { ...SUCCESS };
      case 'DELETE':
        forget(find(triggerName, authKey));
        return { ...SUCCESS };
      case 'PAUSE':
        pause(find(triggerName, authKey));
        return { ...SUCCESS };
      case 'UNPAUSE':
        unpause(find(triggerName, authKey));
        return { ...SUCCESS };
      default:
        return assertNever(event);
    }
  }

  function restore(record: AlarmRecord): void {
    const existing = alarms.get(record.triggerName);
    if (existing) forget(existing);
    const entry = newEntry(structuredClone(record));
    alarms.set(record.triggerName, entry);
    if (entry.status.active) schedule(entry);
  }

  function list(): AlarmRecord[] {
    return [...alarms.values()].map((entry) => structuredClone({
      triggerName: entry.triggerName, authKey: entry.authKey, config: entry.config, status: entry.status,
    }));
  }

  function stop(): void {
    stopped = true;
    for (const entry of alarms.values()) clearTimers(entry);
  }

  return { handle, list, restore, stop };
}

function newEntry(record: AlarmRecord): AlarmEntry {
  return { ...record, triggersLeft: maxTriggersOf(record.config), generation: 0, timers: new Set() };
}

/** Only cron alarms without a stop date count their fires (the real CronAlarm's `triggersLeft`). */
function maxTriggersOf(config: AlarmConfig): number {
  return config.feed === 'alarm' && config.stopDate === undefined && config.maxTriggers > 0 ? config.maxTriggers : -1;
}

/** The READ answer of the real package: the config as given and the status with an ISO date. */
function readAnswer(entry: AlarmEntry): Record<string, unknown> {
  const { namespace, name } = parseTriggerName(entry.triggerName);
  const config: Record<string, unknown> = { name, namespace, payload: entry.config.payload };
  const c = entry.config;
  if (c.feed === 'once') {
    Object.assign(config, definedOnly({ date: c.date, deleteAfterFire: c.deleteAfterFire }));
  } else {
    Object.assign(config, definedOnly({ startDate: c.startDate, stopDate: c.stopDate }));
    if (c.feed === 'interval') config.minutes = c.minutes;
    else Object.assign(config, definedOnly({ cron: c.cron, timezone: c.timezone }));
  }
  const status: Record<string, unknown> = {
    active: entry.status.active,
    dateChanged: entry.status.dateChanged,
    // moment().utc().format() in the real package: ISO 8601 without milliseconds.
    dateChangedISO: new Date(entry.status.dateChanged).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...definedOnly({ reason: entry.status.reason }),
  };
  return { config, status };
}

function definedOnly(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function isLifecycleEvent(value: unknown): value is LifecycleEvent {
  return typeof value === 'string' && (LIFECYCLE_EVENTS as readonly string[]).includes(value);
}

function assertNever(value: never): never {
  throw new Error(`unhandled lifecycle event ${String(value)}`);
}
