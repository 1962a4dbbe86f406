/**
 * The container pool, the invoker's scheduling in one process: warm containers of the same action
 * revision are reused, new ones start cold, each takes at most `limits.concurrency` activations at
 * once, and the machine holds at most `maxContainers`. When the pool is full, idle containers of
 * other actions are evicted (least recently used first); when none is idle, requests wait in
 * arrival order. Idle containers stop after `idleTimeoutMs`.
 */
import { Container, containerKey, type ContainerResult } from './container';
import * as messages from './messages';
import { ProxyProcess } from './proxy-process';
import type { ActionRuntime, RunnableAction, RunOutcome, RunRequest, RuntimeStats } from './types';

export interface PoolSettings {
  maxContainers: number;
  idleTimeoutMs: number;
  /** Started, uninitialized processes kept ready for cold starts (not counted in maxContainers). */
  prewarmCount: number;
  nodePath: string;
  proxyPath: string;
  moduleSearchPath: string;
}

interface PendingRun {
  action: RunnableAction;
  key: string;
  request: RunRequest;
  requestedAt: number;
  resolve: (outcome: RunOutcome) => void;
}

/** Stem cells get OpenWhisk's default action memory, so that most cold starts can use them. */
const STEM_CELL_MEMORY_MB = 256;

export class ContainerPool implements ActionRuntime {
  private readonly containers = new Set<Container>();
  private readonly queue: PendingRun[] = [];
  private readonly idleTimers = new Map<Container, NodeJS.Timeout>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly stemCells = new Set<ProxyProcess>();
  private createdCount = 0;
  private shuttingDown = false;

  /** Kills the containers when the platform process exits without a shutdown (an uncaught error, process.exit). */
  private readonly killOnExit = (): void => {
    for (const container of this.containers) container.killNow();
    for (const cell of this.stemCells) cell.kill('SIGKILL');
  };

  constructor(private readonly settings: PoolSettings) {
    process.on('exit', this.killOnExit);
  }

  run(action: RunnableAction, request: RunRequest): Promise<RunOutcome> {
    return new Promise((resolve) => {
      const pending: PendingRun = { action, key: containerKey(action), request, requestedAt: Date.now(), resolve };
      if (this.shuttingDown) {
        resolve(internalErrorOutcome(pending));
        return;
      }
      this.queue.push(pending);
      this.drain();
    });
  }

  async evict(fqn: string): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const container of this.containers) {
      if (container.action.fqn !== fqn) continue;
      container.retired = true;
      if (container.active === 0) stops.push(this.destroy(container));
    }
    await Promise.all(stops);
  }

  stats(): RuntimeStats {
    let busy = 0;
    const memoryByContainer: Record<string, number> = {};
    for (const container of this.containers) {
      if (container.active > 0) busy += 1;
      memoryByContainer[container.id] = container.residentBytes();
    }
    return { containers: this.containers.size, busy, queued: this.queue.length, memoryByContainer };
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    process.off('exit', this.killOnExit);
    for (const pending of this.queue.splice(0)) pending.resolve(internalErrorOutcome(pending));
    const cells = [...this.stemCells];
    for (const cell of cells) cell.kill('SIGTERM');
    await Promise.all([...this.containers].map((container) => this.destroy(container)));
    await Promise.all([...this.stopping, ...cells.map((cell) => cell.exited)]);
  }

  /** Hands `pending` to a container if one is free or can be made; false when it must wait. */
  private tryPlace(pending: PendingRun): boolean {
    const key = pending.key;
    // The wait ends when a container is chosen; starting a new one is part of the cold start.
    const waitTime = Date.now() - pending.requestedAt;
    let container = this.warmContainerFor(key);
    const cold = container === undefined;
    if (container === undefined) {
      if (this.containers.size >= this.settings.maxContainers) {
        const victim = this.leastRecentlyUsedIdle();
        if (victim === undefined) return false;
        void this.destroy(victim);
      }
      container = this.createContainer(pending);
      if (container === undefined) return true;
    }
    this.assign(container, pending, cold, waitTime);
    return true;
  }

  /** The most recently used container with a free slot, so that the others can go idle and expire. */
  private warmContainerFor(key: string): Container | undefined {
    let best: Container | undefined;
    for (const container of this.containers) {
      if (container.key === key && container.hasCapacity() && (best === undefined || container.lastUsed > best.lastUsed)) best = container;
    }
    return best;
  }

  private leastRecentlyUsedIdle(): Container | undefined {
    let victim: Container | undefined;
    for (const container of this.containers) {
      if (container.active === 0 && container.state === 'ready' && (victim === undefined || container.lastUsed < victim.lastUsed)) victim = container;
    }
    return victim;
  }

  private createContainer(pending: PendingRun): Container | undefined {
    this.createdCount += 1;
    try {
      const container = new Container({
        id: `wf${process.pid}-${this.createdCount}`,
        action: pending.action,
        process: this.takeStemCell(pending.action.limits.memory) ?? this.startProcess(pending.action.limits.memory),
        apiHost: pending.request.apiHost,
        onExit: (exited) => this.forget(exited),
      });
      this.containers.add(container);
      // Replace the stem cell (or make the first one) after this cold start has been handed out.
      if (this.settings.prewarmCount > 0) setImmediate(() => this.refillStemCells());
      return container;
    } catch {
      // Could not even spawn (no temp dir, no processes left): a platform failure, not the action's.
      pending.resolve(internalErrorOutcome(pending));
      return undefined;
    }
  }

  private startProcess(memoryMb: number): ProxyProcess {
    const { nodePath, proxyPath, moduleSearchPath } = this.settings;
    return new ProxyProcess({ nodePath, proxyPath, moduleSearchPath, memoryMb });
  }

  private takeStemCell(memoryMb: number): ProxyProcess | undefined {
    for (const cell of this.stemCells) {
      if (cell.memoryMb === memoryMb && !cell.hasExited) {
        this.stemCells.delete(cell);
        return cell;
      }
    }
    return undefined;
  }

  private refillStemCells(): void {
    try {
      while (!this.shuttingDown && this.stemCells.size < this.settings.prewarmCount) {
        const cell = this.startProcess(STEM_CELL_MEMORY_MB);
        this.stemCells.add(cell);
        void cell.exited.then(() => this.stemCells.delete(cell));
      }
    } catch {
      // Prewarming is an optimization: without it, cold starts spawn their own process.
    }
  }

  private assign(container: Container, pending: PendingRun, cold: boolean, waitTime: number): void {
    container.active += 1;
    container.lastUsed = Date.now();
    this.clearIdleTimer(container);
    try {
      pending.request.onStart?.({ containerId: container.id, cold });
    } catch {
      // The controller's bookkeeping must not break the activation.
    }
    void this.execute(container, pending, cold, waitTime).then((outcome) => {
      this.release(container, outcome);
      pending.resolve(outcome);
    });
  }

  private async execute(container: Container, pending: PendingRun, cold: boolean, waitTime: number): Promise<RunOutcome> {
    const facts = { waitTime, cold, containerId: container.id };
    const init = await container.ready;
    if (!init.ok) {
      // Activations that joined a container still starting share its failure; only the one that
      // started it reports the init time and the init logs.
      const failure: ContainerResult = cold ? init.failure : { ...init.failure, logs: [] };
      return cold ? { ...failure, ...facts, initTime: init.initTime } : { ...failure, ...facts };
    }
    const result = await container.run(pending.request);
    return cold ? { ...result, ...facts, initTime: init.initTime } : { ...result, ...facts };
  }

  private release(container: Container, outcome: RunOutcome): void {
    container.active -= 1;
    container.lastUsed = Date.now();
    // As in the invoker, a container that failed the developer (or the platform) is not reused.
    if (outcome.status === 'action developer error' || outcome.status === 'whisk internal error') container.retired = true;
    if (container.active === 0) {
      if (container.retired || container.state === 'dead') void this.destroy(container);
      else this.startIdleTimer(container);
    }
    this.drain();
  }

  /**
   * Places waiting runs in arrival order. Once one cannot be placed, no container can be created
   * (the pool is full and none is idle), so later runs can only take free slots of their own
   * action's containers: the scan then skips the others cheaply instead of trying each.
   */
  private drain(): void {
    let keysWithRoom: Set<string> | undefined;
    for (let index = 0; index < this.queue.length && !this.shuttingDown; ) {
      const pending = this.queue[index];
      if (pending === undefined) break;
      if (keysWithRoom !== undefined && !keysWithRoom.has(pending.key)) {
        index += 1;
      } else if (this.tryPlace(pending)) {
        this.queue.splice(index, 1);
        if (keysWithRoom !== undefined) keysWithRoom = this.keysWithRoom();
      } else {
        keysWithRoom = this.keysWithRoom();
        if (keysWithRoom.size === 0) return;
        index += 1;
      }
    }
  }

  private keysWithRoom(): Set<string> {
    const keys = new Set<string>();
    for (const container of this.containers) if (container.hasCapacity()) keys.add(container.key);
    return keys;
  }

  private destroy(container: Container): Promise<void> {
    this.forget(container, false);
    const stopped = container.stop();
    this.stopping.add(stopped);
    void stopped.then(() => this.stopping.delete(stopped));
    return stopped;
  }

  /** Drops a container from the pool (it exited, or is being stopped) and lets waiting runs in. */
  private forget(container: Container, drain = true): void {
    this.clearIdleTimer(container);
    if (this.containers.delete(container) && drain) this.drain();
  }

  private startIdleTimer(container: Container): void {
    const timer = setTimeout(() => {
      this.idleTimers.delete(container);
      if (container.active === 0) void this.destroy(container);
    }, this.settings.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(container, timer);
  }

  private clearIdleTimer(container: Container): void {
    const timer = this.idleTimers.get(container);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.idleTimers.delete(container);
    }
  }
}

function internalErrorOutcome(pending: PendingRun): RunOutcome {
  const now = Date.now();
  return {
    status: 'whisk internal error',
    result: { error: messages.resourceProvisionError },
    logs: [],
    start: now,
    end: now,
    waitTime: now - pending.requestedAt,
    cold: false,
    containerId: '',
    timedOut: false,
  };
}
