/** How times, durations and counts read on the dashboard's pages. */
import { BASE } from './base';

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function time(at: number | undefined): string {
  if (at === undefined) return '-';
  const date = new Date(at);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

export const pretty = (value: unknown): string => (value === undefined ? '(none)' : JSON.stringify(value, null, 2));

export const runHref = (runId: string): string => `${BASE}/runs/${encodeURIComponent(runId)}`;
export const workflowHref = (name: string): string => `${BASE}/workflows/${encodeURIComponent(name)}`;
