/**
 * The events bench's batch, the same for every model: N runs, each waiting on its own event
 * (`o-<i>`), the events in a seeded random order, some before their run starts, some sent twice;
 * and the one verdict over what came of it ("every run resumed exactly once with its own event").
 */
import { rounded, summarize, type Summary } from '../lib/stats';

export interface BatchOptions {
  runs: number;
  duplicates: number;
  early: number;
  seed: number;
  timeoutMs: number;
}

export interface Batch {
  /** Run indexes 0..runs-1; run i waits on key `o-<i>` for event `pay-<i>` with data `{ n: i }`. */
  orders: number[];
  /** Indexes whose event is sent before any run starts, in sending order. */
  early: number[];
  /** Indexes whose event is sent after every run was started, in sending order. */
  late: number[];
  /** Indexes whose event is sent twice (same CloudEvent id). */
  duplicated: Set<number>;
}

/** A shuffled copy, the same for the same seed (mulberry32): a run of the bench can be replayed. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

export function planBatch(options: BatchOptions): Batch {
  const orders = Array.from({ length: options.runs }, (_, index) => index);
  const shuffled = seededShuffle(orders, options.seed);
  const earlyCount = Math.round(options.runs * options.early);
  const duplicated = new Set(seededShuffle(orders, options.seed + 1).slice(0, Math.round(options.runs * options.duplicates)));
  return { orders, early: shuffled.slice(0, earlyCount), late: shuffled.slice(earlyCount), duplicated };
}

/** How one run ended, as the model saw it. */
export interface RunEnd {
  runId: string;
  /** How many ends were seen (the Rule Engine's run.finished events; natively, results recorded for the wait). */
  count: number;
  status: string;
  /** The event data the run resumed with (`$.payment`). */
  payment: unknown;
  /** Milliseconds from the later of the event's sending and the run's start to the run's end. */
  latencyMs: number;
}

export interface Verdict {
  eventToResumeMs: Summary;
}

/**
 * Fails loudly, naming up to 20 problems, unless every run ended once, succeeded with its own
 * event's data, and no event is left pending; else the latency summary.
 */
export function judge(batch: Batch, ends: ReadonlyMap<number, RunEnd | undefined>, runIds: ReadonlyMap<number, string>, pending: readonly string[]): Verdict {
  const problems: string[] = [];
  const latencies: number[] = [];
  for (const index of batch.orders) {
    const end = ends.get(index);
    const name = `run ${runIds.get(index) ?? '?'} (o-${index})`;
    if (!end) problems.push(`${name} never resumed`);
    else if (end.count !== 1) problems.push(`${name} ended ${end.count} times`);
    else if (end.status !== 'succeeded' || JSON.stringify(end.payment) !== JSON.stringify({ n: index })) problems.push(`${name} ended ${end.status} with payment ${JSON.stringify(end.payment)}`);
    else latencies.push(end.latencyMs);
  }
  if (pending.length > 0) problems.push(`${pending.length} events left pending, e.g. ${pending[0]}`);
  if (problems.length > 0) throw new Error(`not every run resumed exactly once (${problems.length} problems):\n  ${problems.slice(0, 20).join('\n  ')}`);
  return { eventToResumeMs: rounded(summarize(latencies)) };
}
