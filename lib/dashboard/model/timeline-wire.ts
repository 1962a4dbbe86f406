/**
 * A page of timeline bars as it travels to the browser: the bars of one stage's tasks `from` to
 * `to` (excluded), one array per bar field instead of one object per bar, times in ms after the
 * page's `base`, statuses as indexes. A 10,000-task map's bars are fetched a page at a time (the
 * run's summary comes first, run-summary.ts), each page about a quarter of the bytes of its bars'
 * objects' JSON. Pure; `unpackBars` gives back exactly the bars `packBars` was given (rows aside:
 * the browser packs rows over the bars it has).
 */
import type { BarStatus, TimelineBar } from './timeline';

export const BAR_STATUSES: readonly BarStatus[] = ['running', 'succeeded', 'failed', 'retried', 'timeout'];

export interface BarsPage {
  position: number;
  from: number;
  /** The first task index after the page. */
  to: number;
  /** Every task of the page has its outcome, or the run ended: the page no longer changes. */
  settled: boolean;
  /** Times of the bars are ms after this. */
  base: number;
  bars: {
    index: number[];
    attempt: number[];
    start: number[];
    /** -1 while the attempt runs. */
    end: number[];
    /** Index into BAR_STATUSES. */
    status: number[];
  };
}

export function packBars(page: { position: number; from: number; to: number; settled: boolean }, bars: readonly TimelineBar[]): BarsPage {
  const base = bars.reduce((least, bar) => Math.min(least, bar.start), Infinity);
  const packed: BarsPage['bars'] = { index: [], attempt: [], start: [], end: [], status: [] };
  for (const bar of bars) {
    packed.index.push(bar.index);
    packed.attempt.push(bar.attempt);
    packed.start.push(bar.start - base);
    packed.end.push(bar.end === undefined ? -1 : bar.end - base);
    packed.status.push(BAR_STATUSES.indexOf(bar.status));
  }
  return { ...page, base: Number.isFinite(base) ? base : 0, bars: packed };
}

/** The page's bars, drawn in lane `lane` (row 0 until the lane's rows are packed). */
export function unpackBars(page: BarsPage, lane: number): TimelineBar[] {
  const { bars, base } = page;
  return bars.index.map((index, i) => ({
    lane, row: 0, index, attempt: bars.attempt[i]!, start: base + bars.start[i]!,
    ...(bars.end[i]! >= 0 ? { end: base + bars.end[i]! } : {}), status: BAR_STATUSES[bars.status[i]!]!,
  }));
}
