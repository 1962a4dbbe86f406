/**
 * Memory of this process for tests that bound what the platform keeps (the platform of a suite runs
 * in the test's process): resident set size after full garbage collections, so that what is measured
 * is what is still held, not garbage not yet collected.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export const MB = 1024 * 1024;

/** RSS in bytes after collecting garbage (twice: finalizers of the first free more). */
export async function settledRss(): Promise<number> {
  for (let round = 0; round < 2; round++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().rss;
}

/** Samples RSS every few milliseconds while `work` runs; resolves with its result and the peak RSS. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peak };
  } finally {
    clearInterval(sampler);
  }
}
