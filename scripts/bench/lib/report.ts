/**
 * Benchmark output: one JSON file per benchmark under bench-results/, plus a short stdout summary.
 * Targets are reported with a pass flag and never asserted: a benchmark measures, it does not fail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import os from 'node:os';

export interface TargetVerdict {
  name: string;
  /** The goal in words, e.g. `p50 < 5 ms`. */
  target: string;
  /** The measured value the verdict is about; null when it could not be measured. */
  actual: number | string | null;
  pass: boolean;
}

export interface BenchReport {
  benchmark: string;
  startedAt: string;
  finishedAt: string;
  host: { node: string; platform: string; cpus: number; cpuModel: string; totalMemoryMB: number };
  options: Record<string, unknown>;
  results: Record<string, unknown>;
  targets: TargetVerdict[];
  notes: string[];
}

export function hostInfo(): BenchReport['host'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMB: Math.round(os.totalmem() / 1024 / 1024),
  };
}

export function target(name: string, goal: string, actual: number | string | null, pass: boolean): TargetVerdict {
  return { name, target: goal, actual, pass };
}

/** Writes the report as pretty JSON, creating the directory; returns the absolute path. */
export function writeReport(path: string, report: BenchReport): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, `${JSON.stringify(report, jsonSafe, 2)}\n`);
  return absolute;
}

export function printTargets(targets: readonly TargetVerdict[]): void {
  for (const verdict of targets) {
    const actual = typeof verdict.actual === 'number' ? verdict.actual.toFixed(3) : String(verdict.actual);
    console.log(`  [${verdict.pass ? 'PASS' : 'FAIL'}] ${verdict.name}: ${verdict.target} (measured ${actual})`);
  }
}

/** NaN and Infinity are not JSON; write them as null rather than lose the key. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** A thrown value as one line for a report. */
export function messageOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : JSON.stringify(thrown);
}

/**
 * Runs benchmark phases one after another, timing each on stdout. A phase that throws is recorded
 * as `{ error }` in `results` and noted, so one failed measurement does not lose the others.
 */
export function phaseRunner(results: Record<string, unknown>, notes: string[]): (name: string, body: () => Promise<unknown>) => Promise<void> {
  return async (name, body) => {
    console.log(`- ${name} ...`);
    const started = performance.now();
    try {
      results[name] = await body();
    } catch (thrown: unknown) {
      results[name] = { error: messageOf(thrown) };
      notes.push(`${name} failed: ${messageOf(thrown)}`);
    }
    console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
}
