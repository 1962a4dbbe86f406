/** Summary statistics for benchmark samples (milliseconds unless a field says otherwise). */

export interface Summary {
  n: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/**
 * The p-th percentile (0..100) by the nearest-rank method over ascending `sorted` samples; NaN for
 * no samples. Nearest-rank never invents a value that was not measured.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    mean: sorted.length ? total / sorted.length : Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Rounds every number in a summary for readable JSON (µs precision for ms values). */
export function rounded<T extends object>(value: T, digits = 3): T {
  const factor = 10 ** digits;
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [
    key, typeof field === 'number' && Number.isFinite(field) ? Math.round(field * factor) / factor : field,
  ])) as T;
}
