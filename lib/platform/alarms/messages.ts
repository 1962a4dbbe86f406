/**
 * Texts of apache/openwhisk-package-alarms (action/alarmWebAction.js, action/lib/Database.js,
 * provider/lib/*.js), kept word for word so that scripts and tests written against the real
 * package see the same answers.
 */
export const messages = {
  noTriggerName: 'no trigger name parameter was provided',
  noAuthKey: 'no authKey parameter was provided',
  unsupportedLifecycleEvent: 'unsupported lifecycleEvent',
  onceMissingDate: 'alarms once trigger feed is missing the date parameter',
  badDeleteAfterFire: 'deleteAfterFire parameter must be one of [false, true, rules].',
  intervalMissingMinutes: 'interval trigger feed is missing the minutes parameter',
  minutesNotInteger: 'the minutes parameter must be an integer',
  minutesNotPositive: 'the minutes parameter must be an integer greater than zero',
  alarmMissingCron: 'alarms trigger feed is missing the cron parameter',
  cronNotValid: (cron: unknown) => `cron pattern '${String(cron)}' is not valid`,
  invalidTimezone: 'Invalid timezone.',
  cronLimitedToFiveFields: 'cron pattern is limited to 5 fields with 1 minute as the finest granularity',
  maxTriggersWithIntervalStopDate: 'maxTriggers is not supported for the interval trigger feed',
  maxTriggersWithStopDate: 'maxTriggers is not allowed when the stopDate parameter is specified',
  firstFireAfterStopDate: 'the first scheduled trigger fire is not until after the stop date',
  dateNotValid: (name: string, date: unknown) => `${name} parameter '${String(date)}' is not a valid Date`,
  dateNotInFuture: (name: string, date: unknown) => `${name} parameter '${String(date)}' must be in the future`,
  dateNotAfterStart: (name: string, date: unknown, startDate: unknown) =>
    `${name} parameter '${String(date)}' must be greater than the startDate parameter '${String(startDate)}'`,
  startNotBeforeStop: (startDate: unknown, stopDate: unknown) =>
    `startDate parameter '${String(startDate)}' must be less than the stopDate parameter '${String(stopDate)}'`,
  noUpdatableParameters: 'no updatable parameters were specified',
  /** Not in the real package, which passes any value through; whiskflow fires only JSON objects. */
  payloadNotObject: 'the trigger_payload parameter must be an object or a string',
  triggerNotFound: (triggerName: string) => `could not find trigger ${triggerName} in the database`,
  triggerExists: 'error creating alarm trigger.',

  // Reasons recorded in the status when the provider disables an alarm by itself.
  disabledAfterOnce: 'Automatically disabled after firing once',
  disabledAfterLastCron: 'Automatically disabled after firing last scheduled cron trigger',
  disabledAfterLastInterval: 'Automatically disabled after firing last scheduled interval trigger',
  disabledAfterMaxTriggers: 'Automatically disabled after reaching max triggers',
  disabledOnCreate: (why: string) => `Automatically disabled after receiving error on trigger creation: ${why}`,
  disabledOnFireStatus: (statusCode: number) =>
    `Trigger automatically disabled: Received a ${statusCode} status code when firing the trigger`,
  disabledAfterThrottling: 'Automatically disabled after continuously receiving a 429 status code when firing the trigger',
  pausedByUser: 'Paused by a PAUSE lifecycle event',
  stopDateExpired: 'the stop date has expired',
  nextFireAfterStopDate: 'the next scheduled trigger fire is after the stop date',
  onceDateExpired: 'the fire once date has expired',
} as const;
