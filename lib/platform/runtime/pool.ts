/**
 * The container pool, the invoker's scheduling in one process (apache/openwhisk ContainerPool.scala):
 * containers are sized by their action's memory limit against a user-memory budget; an activation
 * runs in a warm container of the same action revision when one has a free slot (up to
 * `limits.concurrency` activations each), else in a new container (a prewarmed process when one
 * matches) if the budget has room, else in one made room for by stopping the least recently used
 * idle containers, only as many as the memory needed; otherwise it waits. Idle containers stop after
 * `idleTimeoutMs`; at most `maxConcurrentStarts` containers start at once (start-gate.ts).
 *
 * Against thrashing: the invoker serves waiting activations strictly in arrival order, so with a
 * full pool every switch between actions in its queue evicts a container and cold-starts another.
 * Here a container that frees up first takes the oldest waiting activation of its own action; an
 * action with no container at all gets one as soon as memory frees up, and when none is idle the
 * least recently used container of an action that has several (or whose waiting work is younger)
 * is stopped after its current activation. Against churn: an action that already has containers
 * scales out by stopping other actions' idle containers only once they have been idle for
 * `SCALE_OUT_MIN_IDLE_MS` (a 10,000-task fan-out cold-started 280-470 containers without this rule,
 * its orchestrator, conductor and no-op evicting each other between activations; ~120 with it).
 */
import { Container, containerKey, type ContainerResult } from './container';
import { internalErrorOutcome } from './outcomes';
import type { HostRuntimes } from './host-runtimes';
import { ProxyProcess } from './proxy-process';
import type { Sandbox } from './sandbox';
import { StartGate } from './start-gate';
import type { ActionRuntime, RunnableAction, RunOutcome, RunRequest, RuntimeStats } from './types';

export interface PoolSettings {
  /** Sum of the memory limits (MB) of the containers held at once, like the invoker's user memory. */
  userMemoryMb: number;
  /** A cap on the number of containers as well (Infinity: the memory budget alone decides). */
  maxContainers: number;
  idleTimeoutMs: number;
  /** Started, uninitialized processes kept ready for cold starts (not counted in the budget). */
  prewarmCount: number;
  nodePath: string;
  proxyPath: string;
  moduleSearchPath: string;
  /** Niceness added to container processes (see NodeRuntimeOptions.containerNice). */
  containerNice?: number;
  host: HostRuntimes;
  /** The user, memory confinement and process tree of the containers; disposed of at shutdown. */
  sandbox: Sandbox;
  /** Containers starting (process start and /init) at once; further cold starts wait. */
  maxConcurrentStarts: number;
}

interface PendingRun {
  action: RunnableAction;
  key: string;
  request: RunRequest;
  requestedAt: number;
  /** Arrival order across all actions. */
  sequence: number;
  resolve: (outcome: RunOutcome) => void;
}

/** Stem cells get OpenWhisk's default action memory, so that most cold starts can use them. */
const STEM_CELL_MEMORY_MB = 256;

/** How long a container must have been idle before it is stopped for another container of an action that already has one. */
export const SCALE_OUT_MIN_IDLE_MS = 1_000;

export class ContainerPool implements ActionRuntime {
  private readonly containers = new Set<Container>();
  /** Waiting runs per pool key, oldest first; `queuedCount` counts them all. */
  private readonly waiting = new Map<string, PendingRun[]>();
  private queuedCount = 0;
  private sequence = 0;
  private readonly idleTimers = new Map<Container, NodeJS.Timeout>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly stemCells = new Set<ProxyProcess>();
  private createdCount = 0;
  private processCount = 0;
  private shuttingDown = false;
  /** A drain once the idle containers that kept an action from scaling out have been idle long enough. */
  private scaleOutRetry: NodeJS.Timeout | undefined;

  /** Kills the containers when the platform process exits without a shutdown (an uncaught error, process.exit). */
  private readonly starts: StartGate;
  private readonly killOnExit = (): void => {
    for (const container of this.containers) container.killNow();
    for (const cell of this.stemCells) cell.kill('SIGKILL');
    this.settings.sandbox.dispose();
  };

  constructor(private readonly settings: PoolSettings) {
    this.starts = new StartGate(settings.maxConcurrentStarts);
    process.on('exit', this.killOnExit);
  }

  run(action: RunnableAction, request: RunRequest): Promise<RunOutcome> {
    return new Promise((resolve) => {
      const pending: PendingRun = { action, key: containerKey(action), request, requestedAt: Date.now(), sequence: this.sequence++, resolve };
      if (this.shuttingDown) {
        resolve(internalErrorOutcome(pending.requestedAt));
        return;
      }
      const queue = this.waiting.get(pending.key);
      if (queue) queue.push(pending); else this.waiting.set(pending.key, [pending]);
      this.queuedCount += 1;
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
    return { containers: this.containers.size, busy, queued: this.queuedCount, memoryByContainer };
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    clearTimeout(this.scaleOutRetry);
    process.off('exit', this.killOnExit);
    for (const queue of this.waiting.values()) for (const pending of queue) pending.resolve(internalErrorOutcome(pending.requestedAt));
    this.waiting.clear();
    this.queuedCount = 0;
    const cells = [...this.stemCells];
    for (const cell of cells) cell.kill('SIGTERM');
    await Promise.all([...this.containers].map((container) => this.destroy(container)));
    await Promise.all([...this.stopping, ...cells.map((cell) => cell.exited)]);
    this.settings.sandbox.dispose();
  }

  /**
   * Places waiting runs: first into free slots of their own action's containers, then, oldest first,
   * into new containers as far as the budget allows (stopping idle containers to make room); runs of
   * an action without any container may also claim a busy container of another action (see above).
   */
  private drain(): void {
    if (this.shuttingDown || this.queuedCount === 0) return;
    for (const container of this.containers) this.fillFrom(container);
    if (this.queuedCount === 0) return;
    // Actions without a container first (memory freed for them must not go to another container of
    // an action that already has some), then oldest first: the head of each action's queue.
    const heads = [...this.waiting.values()].map((queue) => queue[0]).filter((head): head is PendingRun => head !== undefined)
      .map((head) => ({ head, served: this.hasContainerFor(head.key) }));
    heads.sort((a, b) => Number(a.served) - Number(b.served) || a.head.sequence - b.head.sequence);
    let claimedMb = 0;
    for (const { head } of heads) {
      const queue = this.waiting.get(head.key);
      // A start that ends drains again (createContainer); waiting is cheaper than a start that times out.
      while (queue !== undefined && queue.length > 0 && this.starts.hasRoom) {
        const pending = queue[0]!;
        const memoryMb = pending.action.limits.memory;
        const scalingOut = this.hasContainerFor(pending.key);
        if (!this.makeRoom(memoryMb, scalingOut ? SCALE_OUT_MIN_IDLE_MS : 0)) {
          if (scalingOut) this.retryScaleOutLater();
          else claimedMb = this.claimBusyContainer(pending, memoryMb, claimedMb);
          break;
        }
        this.takeWaiting(pending.key);
        const container = this.createContainer(pending);
        if (container === undefined) continue;
        this.assign(container, pending, true);
        // The new container takes further runs of its action up to its concurrency.
        this.fillFrom(container);
      }
    }
  }

  /** Hands `container` waiting runs of its own action while it has free slots. */
  private fillFrom(container: Container): void {
    while (container.hasCapacity()) {
      const pending = this.takeWaiting(container.key);
      if (pending === undefined) return;
      this.assign(container, pending, false);
    }
  }

  private takeWaiting(key: string): PendingRun | undefined {
    const queue = this.waiting.get(key);
    const pending = queue?.shift();
    if (pending === undefined) return undefined;
    if (queue!.length === 0) this.waiting.delete(key);
    this.queuedCount -= 1;
    return pending;
  }

  private hasContainerFor(key: string): boolean {
    for (const container of this.containers) if (container.key === key && !container.retired) return true;
    return false;
  }

  private memoryInUseMb(): number {
    let total = 0;
    for (const container of this.containers) total += container.action.limits.memory;
    return total;
  }

  private fits(memoryMb: number): boolean {
    // An action larger than the whole budget still runs, alone.
    if (this.containers.size === 0) return true;
    return this.containers.size < this.settings.maxContainers && this.memoryInUseMb() + memoryMb <= this.settings.userMemoryMb;
  }

  /**
   * True when a container of `memoryMb` fits, after stopping least recently used idle containers
   * (idle for at least `minIdleMs`) if that is enough (as ContainerPool.remove: only as many as
   * needed, none when it would not suffice).
   */
  private makeRoom(memoryMb: number, minIdleMs: number): boolean {
    if (this.fits(memoryMb)) return true;
    const idleSince = Date.now() - minIdleMs;
    const idle = [...this.containers].filter((container) => container.active === 0 && container.state !== 'starting' && container.lastUsed <= idleSince);
    idle.sort((a, b) => a.lastUsed - b.lastUsed);
    const victims: Container[] = [];
    let freedMb = 0;
    const enough = (): boolean => this.containers.size - victims.length < this.settings.maxContainers
      && this.memoryInUseMb() - freedMb + memoryMb <= this.settings.userMemoryMb;
    for (const container of idle) {
      if (enough()) break;
      victims.push(container);
      freedMb += container.action.limits.memory;
    }
    if (!enough() && !(victims.length === this.containers.size)) return false;
    for (const victim of victims) void this.destroy(victim);
    return true;
  }

  /** Drains again once containers idle for less than `SCALE_OUT_MIN_IDLE_MS` may have become stoppable. */
  private retryScaleOutLater(): void {
    if (this.scaleOutRetry !== undefined || this.shuttingDown) return;
    this.scaleOutRetry = setTimeout(() => {
      this.scaleOutRetry = undefined;
      this.drain();
    }, SCALE_OUT_MIN_IDLE_MS);
  }

  /**
   * Gives an action that has waiting runs but no container a way in when nothing is idle: the least
   * recently used busy container of an action that holds several, or whose oldest waiting run came
   * later than this one, stops after its current activations. Returns the memory claimed so far in
   * this pass, so that one pass does not claim more than the runs blocked in it need.
   */
  private claimBusyContainer(pending: PendingRun, memoryMb: number, claimedMb: number): number {
    let alreadyFreeing = 0;
    for (const container of this.containers) if (container.retired && container.state !== 'dead') alreadyFreeing += container.action.limits.memory;
    const needed = claimedMb + memoryMb;
    if (alreadyFreeing >= needed) return needed;
    const perKey = new Map<string, number>();
    for (const container of this.containers) if (!container.retired) perKey.set(container.key, (perKey.get(container.key) ?? 0) + 1);
    let victim: Container | undefined;
    for (const container of this.containers) {
      if (container.retired || container.state === 'dead') continue;
      const oldestWaiting = this.waiting.get(container.key)?.[0];
      const yields = (perKey.get(container.key) ?? 0) > 1 || oldestWaiting === undefined || oldestWaiting.sequence > pending.sequence;
      if (yields && (victim === undefined || container.lastUsed < victim.lastUsed)) victim = container;
    }
    if (victim !== undefined) {
      victim.retired = true;
      if (victim.active === 0) void this.destroy(victim);
    }
    return needed;
  }

  private createContainer(pending: PendingRun): Container | undefined {
    this.createdCount += 1;
    try {
      const container = new Container({
        id: `wf${process.pid}-${this.createdCount}`,
        action: pending.action,
        process: this.takeStemCell(pending.action.limits.memory) ?? this.startProcess(pending.action.limits.memory),
        apiHost: pending.request.apiHost,
        runtime: this.settings.host.runtimeFor(pending.action.kind, pending.action.limits.memory),
        onExit: (exited) => this.forget(exited),
      });
      this.containers.add(container);
      this.starts.track(container.ready, () => this.drain());
      // Replace the stem cell (or make the first one) after this cold start has been handed out.
      if (this.settings.prewarmCount > 0) setImmediate(() => this.refillStemCells());
      return container;
    } catch {
      // Could not even spawn (no temp dir, no processes left): a platform failure, not the action's.
      pending.resolve(internalErrorOutcome(pending.requestedAt));
      return undefined;
    }
  }

  private startProcess(memoryMb: number): ProxyProcess {
    const { nodePath, proxyPath, moduleSearchPath, containerNice, sandbox } = this.settings;
    this.processCount += 1;
    const name = `p${this.processCount}`;
    return new ProxyProcess({ nodePath, proxyPath, moduleSearchPath, memoryMb, sandbox, name, ...(containerNice ? { nice: containerNice } : {}) });
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

  /** `cold`: this run started the container. The wait ends when a container is chosen. */
  private assign(container: Container, pending: PendingRun, cold: boolean): void {
    const waitTime = Date.now() - pending.requestedAt;
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
