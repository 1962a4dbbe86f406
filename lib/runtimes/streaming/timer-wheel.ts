/**
 * The local side of durable timers: the Condition Engine mirrors the timers of the run contexts it
 * owns here and, when one comes due, calls `fire` (which produces `timer.fired` to the run's
 * partition). A fired timer is not fired again by this process while its context still holds it;
 * the context drops it once the fired event is applied, and a process that takes the run over fires
 * it again from the checkpoint (the duplicate is ignored, as the timer is gone by then).
 */
import type { Timer } from './run-context';

export type FireTimer = (runId: string, timer: Timer) => Promise<void>;

export class TimerWheel {
  private readonly byRun = new Map<string, Map<string, Timer>>();
  private readonly fired = new Set<string>();
  private interval: NodeJS.Timeout | undefined;

  constructor(private readonly fire: FireTimer, private readonly onError: (error: unknown) => void, private readonly now: () => number = Date.now) {}

  /** Checks for due timers every `resolutionMs`; timers fire at most that late. */
  start(resolutionMs = 50): void {
    this.interval ??= setInterval(() => this.tick(), resolutionMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
  }

  /** Makes this run's timers exactly `timers` (as checkpointed). */
  sync(runId: string, timers: Record<string, Timer>): void {
    const entries = Object.values(timers);
    const known = this.byRun.get(runId);
    for (const id of known?.keys() ?? []) if (!(id in timers)) this.fired.delete(key(runId, id));
    if (entries.length === 0) this.byRun.delete(runId);
    else this.byRun.set(runId, new Map(entries.map((timer) => [timer.id, timer])));
  }

  /** Like `sync`, for checkpoints loaded in the background that may be older than what is known. */
  syncIfUnknown(runId: string, timers: Record<string, Timer>): void {
    if (!this.byRun.has(runId)) this.sync(runId, timers);
  }

  clear(): void {
    this.byRun.clear();
    this.fired.clear();
  }

  size(): number {
    let count = 0;
    for (const timers of this.byRun.values()) count += timers.size;
    return count;
  }

  /** Fires every due timer not fired yet; exposed so tests drive time without waiting. */
  tick(): void {
    const now = this.now();
    for (const [runId, timers] of this.byRun) {
      for (const timer of timers.values()) {
        const id = key(runId, timer.id);
        if (this.fired.has(id) || Date.parse(timer.due) > now) continue;
        this.fired.add(id);
        this.fire(runId, timer).catch((error: unknown) => {
          // Not produced: try again on a later tick.
          this.fired.delete(id);
          this.onError(error);
        });
      }
    }
  }
}

function key(runId: string, timerId: string): string {
  return `${runId}\u0000${timerId}`;
}
