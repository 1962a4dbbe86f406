/**
 * Per-namespace throttles like the controller's ActivationThrottler and RateThrottler: counts in the
 * current minute (a tumbling window, as the real RateThrottler does) and activations in flight.
 */
import { ThrottledError } from '../errors';
import { ThrottleLimits } from './limits';
import { Messages } from './messages';

class MinuteCounter {
  private minute = -1;
  private readonly counts = new Map<string, number>();

  /** Counts one more event for `namespace` and returns the count including it. */
  increment(namespace: string, now: number): number {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) { this.minute = minute; this.counts.clear(); }
    const count = (this.counts.get(namespace) ?? 0) + 1;
    this.counts.set(namespace, count);
    return count;
  }
}

export class Throttles {
  private readonly invocations = new MinuteCounter();
  private readonly fires = new MinuteCounter();
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly limits: ThrottleLimits, private readonly clock: () => number = Date.now) {}

  /** Admits one invocation or throws a ThrottledError with the controller's text (HTTP 429). */
  admitInvocation(namespace: string): void {
    const concurrent = this.inFlight.get(namespace) ?? 0;
    if (concurrent >= this.limits.concurrentInvocations) {
      throw new ThrottledError(Messages.tooManyConcurrentRequests(concurrent, this.limits.concurrentInvocations), 1_000);
    }
    const now = this.clock();
    const count = this.invocations.increment(namespace, now);
    if (count > this.limits.invocationsPerMinute) {
      throw new ThrottledError(Messages.tooManyRequests(count, this.limits.invocationsPerMinute), 60_000 - (now % 60_000));
    }
  }

  admitFire(namespace: string): void {
    const now = this.clock();
    const count = this.fires.increment(namespace, now);
    if (count > this.limits.firesPerMinute) {
      throw new ThrottledError(Messages.tooManyRequests(count, this.limits.firesPerMinute), 60_000 - (now % 60_000));
    }
  }

  /** Marks an activation in flight; call the returned function exactly once when it ends. */
  enter(namespace: string): () => void {
    this.inFlight.set(namespace, (this.inFlight.get(namespace) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const remaining = (this.inFlight.get(namespace) ?? 1) - 1;
      if (remaining <= 0) this.inFlight.delete(namespace); else this.inFlight.set(namespace, remaining);
    };
  }

  concurrent(namespace: string): number {
    return this.inFlight.get(namespace) ?? 0;
  }
}
