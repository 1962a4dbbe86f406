/**
 * The built-in alarms feed provider, the local equivalent of apache/openwhisk-package-alarms.
 * The controller serves `/whisk.system/alarms/{alarm,once,interval}` with `handle()`.
 */
export { createAlarmsProvider } from './provider';
export { parseTriggerName } from './validate';
export { messages as alarmMessages } from './messages';
export type {
  AlarmConfig, AlarmFeed, AlarmRecord, AlarmStatus, AlarmStatusReason, AlarmTimers, AlarmsProvider, AlarmsProviderDeps,
  CronAlarmConfig, IntervalAlarmConfig, LifecycleEvent, OnceAlarmConfig,
} from './types';
