/**
 * A bound on the containers starting at once. A process start (Node.js, plus the language process
 * behind a Python, Java or Go proxy) and its /init cost CPU; with a large user-memory budget a wide
 * fan-out asks for 150 of them at once, and on a small busy machine some then missed the proxy's
 * start-up bound and failed their activations (12-13 of 80 simultaneous cold starts at load average
 * 30-100). Waiting for a start slot costs those activations a little wait time instead.
 */
import * as os from 'node:os';

/** Two starts per core (at least 4): enough to keep the cores busy while processes start. */
export function defaultMaxConcurrentStarts(): number {
  return Math.max(4, 2 * os.availableParallelism());
}

export class StartGate {
  private starting = 0;

  constructor(private readonly max: number) {}

  get hasRoom(): boolean {
    return this.starting < this.max;
  }

  /** Counts one start until `done` settles (a container's start and /init, whatever their outcome). */
  track(done: Promise<unknown>, then: () => void): void {
    this.starting += 1;
    const leave = (): void => {
      this.starting -= 1;
      then();
    };
    done.then(leave, leave);
  }
}
