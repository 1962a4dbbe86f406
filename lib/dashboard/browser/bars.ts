/**
 * The timeline's bars of a run, fetched a page of tasks at a time (model/bar-pages.ts decides
 * which): the run's summary is drawn first, bars follow as they arrive, zooming out or panning
 * along fetches the pages the view reaches, and a change of the run fetches again only the pages
 * whose tasks were not all done.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { BARS_PAGE, pageKey, pagesToLoad, type LoadedPage, type PagedStage } from '../model/bar-pages';
import type { TimelineBar } from '../model/timeline';
import { unpackBars, type BarsPage } from '../model/timeline-wire';
import { BASE } from './base';
import { getJson } from './live';

interface HeldPage extends LoadedPage { bars: number; held: TimelineBar[]; lane: number }

export interface LoadedBars {
  /** Every bar loaded so far, in page order. */
  bars: TimelineBar[];
  /** Pages fetched (tests and the bench read it). */
  fetched: number;
  loading: boolean;
  error?: string;
}

/**
 * `stages` in lane order; `version` changes whenever the run's summary was read again (the run
 * changed); `viewEnd` is where the visible time range ends (undefined: the whole run).
 */
export function useBars(runId: string, stages: readonly PagedStage[], version: number, viewEnd: number | undefined): LoadedBars {
  const pages = useRef(new Map<string, HeldPage>());
  const fetched = useRef(0);
  // `inputs`: what the published state was loaded for. Until the effect for new inputs has published,
  // the bars are still loading, also in the render before the effect runs (a page drawn with the
  // run's summary must not say "loaded" with none of its bars fetched yet).
  const [state, setState] = useState<LoadedBars & { inputs?: string }>({ bars: [], fetched: 0, loading: true });
  const stagesKey = JSON.stringify(stages);
  const inputs = JSON.stringify([runId, stagesKey, version, viewEnd ?? null]);
  useEffect(() => {
    let stopped = false;
    const lanes = new Map(stages.map((stage, lane) => [stage.position, lane]));
    const stale = new Set([...pages.current].filter(([, page]) => !page.settled).map(([key]) => key));
    const publish = (loading: boolean, error?: string) => {
      const bars = [...pages.current.values()].flatMap((page) => page.held);
      setState({ bars, fetched: fetched.current, loading, inputs, ...(error ? { error } : {}) });
    };
    void (async () => {
      try {
        for (;;) {
          const wanted = pagesToLoad(stages, pages.current, viewEnd, stale, BARS_PAGE);
          if (stopped) return;
          if (!wanted.length) { publish(false); return; }
          const got = await Promise.all(wanted.map((page) =>
            getJson<BarsPage>(`${BASE}/api/runs/${encodeURIComponent(runId)}/bars?position=${page.position}&from=${page.from}&count=${page.count}`)));
          if (stopped) return;
          for (const page of got) {
            const lane = lanes.get(page.position) ?? 0;
            const held = unpackBars(page, lane);
            const key = pageKey(page.position, page.from);
            pages.current.set(key, {
              settled: page.settled, bars: held.length, held, lane,
              ...(held.length ? { firstStart: held.reduce((least, bar) => Math.min(least, bar.start), Infinity) } : {}),
            });
            stale.delete(key);
            fetched.current += 1;
          }
          publish(true);
        }
      } catch (error) {
        if (!stopped) publish(false, (error as Error).message);
      }
    })();
    return () => { stopped = true; };
    // `stagesKey` stands for `stages`: a new array of the same stages is no reason to fetch again.
  }, [runId, stagesKey, version, viewEnd]);
  const { inputs: loadedFor, ...loaded } = state;
  return loadedFor === inputs ? loaded : { ...loaded, loading: true };
}
