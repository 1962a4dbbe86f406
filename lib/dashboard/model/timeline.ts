/**
 * A run's timeline: one bar per task attempt, in rows grouped by stage visit. An attempt ends when
 * its outcome was recorded; an attempt that was retried ends when the next one was invoked (the
 * records keep no end of their own for it). Pure; compact rows, since a map has thousands of them.
 */
import { TIMEOUT_ERROR } from '../../events/types';
import type { StageFacts } from './node-states';

export type BarStatus = 'running' | 'succeeded' | 'failed' | 'retried' | 'timeout';

export interface TimelineBar {
  /** Index into `TimelineModel.lanes`. */
  lane: number;
  /** Row within the lane: attempts that overlap in time get rows of their own (up to MAX_ROWS). */
  row: number;
  index: number;
  attempt: number;
  start: number;
  /** Absent while the attempt runs. */
  end?: number;
  status: BarStatus;
}

export interface TimelineLane {
  position: number;
  stageId: string;
  startedAt: number;
  endedAt?: number;
  attempts: number;
  retried: number;
  timeouts: number;
  failed: number;
  /** Rows the lane's bars were packed into. */
  rows: number;
}

/** A lane wider than this (a map's window) shares rows: bars then overlap, the lane's height stays bounded. */
export const MAX_ROWS = 200;

export interface TimelineModel {
  start: number;
  /** The last end seen, or `now` while something runs. */
  end: number;
  lanes: TimelineLane[];
  bars: TimelineBar[];
}

export interface TimedStage extends StageFacts {
  startedAt: number;
  tasks: {
    index: number;
    attempts: { attempt: number; invokedAt?: number }[];
    outcome?: { ok: boolean; attempt: number; completedAt: number; error?: string };
  }[];
}

export type TimedTask = TimedStage['tasks'][number];

/** The bars of one task's attempts, in attempt order (row 0: rows are packed per lane, `packRows`). */
export function taskBars(task: TimedTask, stageStartedAt: number, lane: number): TimelineBar[] {
  const attempts = [...task.attempts].sort((a, b) => a.attempt - b.attempt);
  return attempts.map((attempt, position) => {
    const begun = attempt.invokedAt ?? stageStartedAt;
    const next = attempts[position + 1];
    const bar: TimelineBar = { lane, row: 0, index: task.index, attempt: attempt.attempt, start: begun, status: 'running' };
    const outcome = task.outcome?.attempt === attempt.attempt ? task.outcome : undefined;
    if (outcome) {
      bar.end = outcome.completedAt;
      bar.status = outcome.ok ? 'succeeded' : outcome.error === TIMEOUT_ERROR ? 'timeout' : 'failed';
    } else if (next) {
      bar.end = Math.max(begun, next.invokedAt ?? begun);
      bar.status = 'retried';
    }
    return bar;
  });
}

export function timelineOf(stages: readonly TimedStage[], now: number): TimelineModel {
  const ordered = [...stages].sort((a, b) => a.position - b.position);
  const bars: TimelineBar[] = [];
  const lanes: TimelineLane[] = [];
  let start = Infinity;
  let end = -Infinity;
  ordered.forEach((stage, lane) => {
    const info: TimelineLane = { position: stage.position, stageId: stage.stageId, startedAt: stage.startedAt, attempts: 0, retried: 0, timeouts: 0, failed: 0, rows: 0, ...(stage.endedAt !== undefined ? { endedAt: stage.endedAt } : {}) };
    lanes.push(info);
    const first = bars.length;
    start = Math.min(start, stage.startedAt);
    end = Math.max(end, stage.endedAt ?? stage.startedAt);
    for (const task of stage.tasks) {
      for (const bar of taskBars(task, stage.startedAt, lane)) {
        info.attempts += 1;
        if (bar.status === 'retried') info.retried += 1;
        if (bar.status === 'timeout') info.timeouts += 1;
        if (bar.status === 'failed') info.failed += 1;
        start = Math.min(start, bar.start);
        end = Math.max(end, bar.end ?? now);
        bars.push(bar);
      }
    }
    info.rows = packRows(bars.slice(first), now);
  });
  if (!Number.isFinite(start)) return { start: now, end: now, lanes, bars };
  return { start, end: Math.max(end, start), lanes, bars };
}

/**
 * First fit: each bar, by start time, goes to the first row free by then, so that a lane is as tall
 * as its stage was wide (a map's window), not as long as its task list. Sets each bar's `row`;
 * returns the rows used.
 */
export function packRows(bars: TimelineBar[], now: number): number {
  const rowEnds: number[] = [];
  for (const bar of [...bars].sort((a, b) => a.start - b.start || a.index - b.index || a.attempt - b.attempt)) {
    let row = rowEnds.findIndex((end) => end <= bar.start);
    if (row < 0 && rowEnds.length < MAX_ROWS) row = rowEnds.length;
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    bar.row = row;
    rowEnds[row] = bar.end ?? now;
  }
  return Math.max(1, rowEnds.length);
}
