/**
 * Which pages of timeline bars the browser fetches next (run-summary.ts serves them): per stage,
 * pages of BARS_PAGE tasks in task order, one at a time, and only as far as the visible time
 * range reaches. A map starts its tasks in index order (its window moves along the list), so a
 * page whose first bar starts after the visible range ends holds nothing to draw, nor do the pages
 * after it; a page without bars means the stage has not got that far. Pages not settled (tasks
 * still running) are fetched again after each change of the run. Pure.
 */

export const BARS_PAGE = 1000;

export interface LoadedPage {
  settled: boolean;
  bars: number;
  /** The earliest start of a bar of the page (ms), when it has bars. */
  firstStart?: number;
}

export interface PagedStage { position: number; taskCount: number; attempts: number }

export interface PageToLoad { position: number; from: number; count: number }

export const pageKey = (position: number, from: number): string => `${position}/${from}`;

/**
 * The pages to fetch now: for each stage, the first page not loaded yet within the visible range,
 * and the loaded ones in `stale` (read before the run's last change and not settled) up to there.
 * `viewEnd` undefined: the whole run is shown.
 */
export function pagesToLoad(stages: readonly PagedStage[], loaded: ReadonlyMap<string, LoadedPage>, viewEnd: number | undefined, stale: ReadonlySet<string>, size = BARS_PAGE): PageToLoad[] {
  const wanted: PageToLoad[] = [];
  for (const stage of stages) {
    if (stage.taskCount === 0 || stage.attempts === 0) continue;
    for (let from = 0; from < stage.taskCount; from += size) {
      const key = pageKey(stage.position, from);
      const page = loaded.get(key);
      const count = Math.min(size, stage.taskCount - from);
      if (!page) {
        wanted.push({ position: stage.position, from, count });
        break;
      }
      if (viewEnd !== undefined && page.firstStart !== undefined && page.firstStart > viewEnd) break;
      if (stale.has(key) && !page.settled) wanted.push({ position: stage.position, from, count });
      if (page.bars === 0) break;
    }
  }
  return wanted;
}
