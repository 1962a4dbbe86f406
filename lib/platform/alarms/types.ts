/**
 * The alarms feed provider's model: what a user asked for (the config, echoed back on READ), and
 * whether the alarm is live (the status). Shapes follow apache/openwhisk-package-alarms
 * (action/alarmWebAction.js and provider/lib/utils.js) so READ answers look the same.
 */

/** The three feed actions of `/whisk.system/alarms`. */
export type AlarmFeed = 'alarm' | 'once' | 'interval';

export const LIFECYCLE_EVENTS = ['CREATE', 'READ', 'UPDATE', 'DELETE', 'PAUSE', 'UNPAUSE'] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** A date as the user gave it (ISO string or epoch ms); kept verbatim so READ echoes it back. */
export type DateParam = string | number;

/** What `once` does after its single fire: keep the trigger (disabled), delete it, or delete it and its rules. */
export type DeleteAfterFire = 'false' | 'true' | 'rules';

export interface CronAlarmConfig {
  feed: 'alarm';
  cron: string;
  /** IANA time zone the cron pattern is read in; the host's zone when absent. */
  timezone?: string;
  startDate?: DateParam;
  stopDate?: DateParam;
  /**
   * How many fires before the alarm disables itself; -1 means unlimited.
   * @default -1
   */
  maxTriggers: number;
  payload: Record<string, unknown>;
}

export interface OnceAlarmConfig {
  feed: 'once';
  date: DateParam;
  deleteAfterFire?: DeleteAfterFire;
  payload: Record<string, unknown>;
}

export interface IntervalAlarmConfig {
  feed: 'interval';
  minutes: number;
  /** First fire; the real package defaults it to 30 s after CREATE, and so do we. */
  startDate: DateParam;
  stopDate?: DateParam;
  payload: Record<string, unknown>;
}

export type AlarmConfig = CronAlarmConfig | OnceAlarmConfig | IntervalAlarmConfig;

/** Why an alarm stopped firing. `AUTO` is the provider's own decision, `USER` a PAUSE. */
export interface AlarmStatusReason {
  kind: 'AUTO' | 'USER';
  statusCode?: number;
  message: string;
}

export interface AlarmStatus {
  active: boolean;
  /** Epoch ms of the last change of `active`. */
  dateChanged: number;
  reason?: AlarmStatusReason;
}

/**
 * One registered alarm, as `list()` returns it and `restore()` takes it back.
 * Holds `authKey` (a credential): persist it where trigger credentials already live, never log it.
 */
export interface AlarmRecord {
  /** `/namespace/name` of the trigger to fire. */
  triggerName: string;
  authKey: string;
  config: AlarmConfig;
  status: AlarmStatus;
}

export interface AlarmsProviderDeps {
  /** Fires the trigger with `payload` as the event body, authenticated as `authKey`. */
  fireTrigger(triggerFqn: string, authKey: string, payload: Record<string, unknown>): Promise<void>;
  /**
   * Deletes the trigger (and, with `withRules`, the rules that use it) for `once` alarms created
   * with `deleteAfterFire`. Without it the alarm is only forgotten, and the trigger stays.
   */
  deleteTrigger?(triggerFqn: string, authKey: string, options: { withRules: boolean }): Promise<void>;
  log?: (msg: string) => void;
  /** Epoch ms; injected so that tests can drive a fake clock. @default Date.now */
  now?: () => number;
  /** Timer functions; injected so that tests can drive a fake clock. @default the global timers */
  timers?: AlarmTimers;
}

export interface AlarmTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AlarmsProvider {
  /**
   * Serves one feed action invocation. CREATE, UPDATE, DELETE, PAUSE and UNPAUSE answer
   * `{ status: 'success' }`; READ answers `{ config, status }`. Bad parameters throw a
   * `WhiskflowError` with code `INVALID_INPUT`, an unknown trigger `ENTITY_NOT_FOUND`, a second
   * CREATE `ENTITY_EXISTS`.
   */
  handle(feed: AlarmFeed, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Every registered alarm, active or not, so that a restarted controller can `restore()` them. */
  list(): AlarmRecord[];
  /**
   * Re-registers an alarm from `list()` without CREATE's "must be in the future" checks, the way
   * the real provider reloads its database on start: an alarm whose schedule has run out is
   * registered disabled instead of rejected.
   */
  restore(record: AlarmRecord): void;
  /** Clears every timer; alarms stop firing. */
  stop(): void;
}
