/**
 * The baseline of a fan-out: the same no-op invocations with no orchestration at all, N blocking
 * invocations of the map's no-op with the map's window in flight (a new one starts as soon as one
 * ends), on the same platform in the same run. A fan-out's makespan is reported as a ratio over it:
 * what the orchestration adds to the work it orchestrates.
 */
import { DEFAULT_MAP_CONCURRENCY } from '../../../lib/model/workflow';
import { settle } from '../lib/child-platform';
import { rounded } from '../lib/stats';
import { cpuDiff, cpuSample, type CpuSample } from './cpu';
import { MAP_NOOP, type Context } from './context';

export interface BareResult {
  tasks: number;
  window: number;
  /** First submit → last blocking invocation returned. */
  makespanMs: number;
  failed: number;
  /**
   * CPU per invocation in the controller, the containers and CouchDB (activation records): what one
   * task costs the platform with nothing around it, to set a fan-out's CPU per task against.
   */
  cpuMsPerTask: CpuSample;
}

export async function bareInvocations(ctx: Context, tasks: number): Promise<BareResult> {
  const window = Math.min(tasks, ctx.options.mapConcurrency ?? DEFAULT_MAP_CONCURRENCY);
  await settle(ctx.platform);
  let next = 0;
  let failed = 0;
  const cpuBefore = cpuSample(ctx.platform.pid, ctx.couchPids);
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (next < tasks) {
      const i = next;
      next += 1;
      try {
        await ctx.ow.actions.invoke({ name: MAP_NOOP, params: { i }, blocking: true, result: true });
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  const makespanMs = Date.now() - started;
  // Like a fan-out's sample, after the platform settled: activation records are written behind.
  await settle(ctx.platform);
  return { tasks, window, makespanMs, failed, cpuMsPerTask: rounded(cpuDiff(cpuSample(ctx.platform.pid, ctx.couchPids), cpuBefore, tasks)) };
}
