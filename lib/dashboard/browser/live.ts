/**
 * Live data for a page: read once, then again whenever the run store changed (the platform's
 * server-sent events, or polling where only request -> response is served), at most every 2 s and
 * never more often than a read takes three times over: a page open on a busy run takes a small
 * share of the machine the run needs (changes in between are coalesced into the next read).
 */
import { BASE } from './base';
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const MIN_INTERVAL_MS = 2000;
const listeners = new Set<Listener>();
let started = false;

function startFeed(): void {
  if (started) return;
  started = true;
  if (document.body.dataset.live === 'events' && typeof EventSource !== 'undefined') {
    const source = new EventSource(`${BASE}/events`);
    source.addEventListener('change', () => listeners.forEach((listener) => listener()));
  } else {
    setInterval(() => listeners.forEach((listener) => listener()), 3000);
  }
}

export interface Loaded<T> {
  data?: T;
  error?: string;
  /** Reads of this page so far (tests and the status line read it). */
  reads: number;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json() as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

export function useLive<T>(url: string | undefined, live = true): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ reads: 0 });
  useEffect(() => {
    if (!url) return undefined;
    // Per URL: a read still going for the previous URL does not hold this one back.
    let stopped = false;
    let busy = false;
    let again = false;
    const read = async () => {
      if (busy) { again = true; return; }
      busy = true;
      const began = performance.now();
      // An answer that says it is partial (the runs page's first screenful) is followed by the whole one at once.
      let partial = false;
      try {
        const data = await getJson<T>(url);
        partial = (data as { partial?: boolean }).partial === true;
        if (!stopped) setState((previous) => ({ data, reads: previous.reads + 1 }));
      } catch (error) {
        if (!stopped) setState((previous) => ({ ...previous, error: (error as Error).message, reads: previous.reads + 1 }));
      } finally {
        if (partial) again = true;
        setTimeout(() => {
          busy = false;
          if (again && !stopped) { again = false; void read(); }
        }, partial ? 0 : Math.max(MIN_INTERVAL_MS, 3 * (performance.now() - began)));
      }
    };
    void read();
    const listener = () => void read();
    if (live) { listeners.add(listener); startFeed(); }
    return () => { stopped = true; listeners.delete(listener); };
  }, [url, live]);
  return state;
}
