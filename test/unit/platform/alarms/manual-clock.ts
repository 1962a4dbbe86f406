/**
 * A clock for alarm tests: time moves only when a test advances it, and due timers run in order,
 * each followed by a flush of pending promise work (the fake fires resolve immediately).
 */
import type { AlarmTimers } from '../../../../lib/platform/alarms';

interface PendingTimer {
  at: number;
  callback: () => void;
}

export class ManualClock implements AlarmTimers {
  private current: number;
  private nextHandle = 1;
  private readonly pending = new Map<number, PendingTimer>();

  constructor(start: number) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly setTimeout = (callback: () => void, delayMs: number): unknown => {
    const handle = this.nextHandle++;
    this.pending.set(handle, { at: this.current + Math.max(0, delayMs), callback });
    return handle;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  get pendingTimers(): number {
    return this.pending.size;
  }

  async advanceBy(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  async advanceTo(target: number): Promise<void> {
    await flushPromises();
    for (;;) {
      const due = this.earliestDue(target);
      if (!due) break;
      const [handle, timer] = due;
      this.pending.delete(handle);
      this.current = timer.at;
      timer.callback();
      await flushPromises();
    }
    this.current = target;
    await flushPromises();
  }

  private earliestDue(target: number): [number, PendingTimer] | undefined {
    let best: [number, PendingTimer] | undefined;
    for (const entry of this.pending) {
      if (entry[1].at > target) continue;
      if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[0] < best[0])) best = entry;
    }
    return best;
  }
}

/** Lets chains of resolved promises (fire → retry → afterFire) settle. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
