/**
 * The container pool with real containers: intra-container concurrency, the memory budget and the
 * container cap (eviction, queueing, no thrashing under bursts), idle expiry, shutdown, and no
 * orphans when the platform dies.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { startPlatform } from '../../../../lib/platform';
import { DEFAULT_CONTAINER_NICE, createNodeRuntime, type ActionRuntime, type RunOutcome } from '../../../../lib/platform/runtime';
import { SCALE_OUT_MIN_IDLE_MS } from '../../../../lib/platform/runtime/pool';
import { compileRuntime, type CompiledRuntime } from './compiled-runtime';
import { isProcessAlive, nodeAction, runRequest } from './fixtures';
import { sleep, until } from '../../../helpers/until';

/** Waits until `expect` activations are inside the same container at once, then answers. */
const BARRIER_ACTION = `
let inFlight = 0;
let peak = 0;
async function main(params) {
  inFlight += 1;
  peak = Math.max(peak, inFlight);
  console.log('not collected with concurrency');
  while (inFlight < params.expect) await new Promise((resolve) => setTimeout(resolve, 5));
  const seen = peak;
  await new Promise((resolve) => setTimeout(resolve, 20));
  inFlight -= 1;
  return { pid: process.pid, peak: seen };
}`;
const SLEEP_ACTION = 'function main(p) { return new Promise((resolve) => setTimeout(() => resolve({ pid: process.pid }), p.ms || 0)); }';

let compiled: CompiledRuntime;
const runtimes: ActionRuntime[] = [];

function newRuntime(options: { maxConcurrentStarts?: number; maxContainers?: number; userMemoryMb?: number; idleTimeoutMs?: number; prewarmCount?: number; containerNice?: number } = {}): ActionRuntime {
  const runtime = createNodeRuntime({ proxyPath: compiled.proxyPath, ...options });
  runtimes.push(runtime);
  return runtime;
}

beforeAll(() => {
  compiled = compileRuntime();
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((runtime) => runtime.shutdown()));
});

afterAll(() => {
  compiled.remove();
});

describe('intra-container concurrency', () => {
  it('runs up to limits.concurrency activations at once in one container, and skips their logs', async () => {
    const runtime = newRuntime();
    const action = nodeAction(BARRIER_ACTION, { limits: { concurrency: 3 } });
    const outcomes = await Promise.all([1, 2, 3].map(() => runtime.run(action, runRequest(action, { expect: 3 }))));
    expect(outcomes.map((o) => o.status)).toEqual(['success', 'success', 'success']);
    expect(new Set(outcomes.map((o) => o.containerId)).size).toBe(1);
    expect(outcomes.filter((o) => o.cold)).toHaveLength(1);
    for (const outcome of outcomes) expect(outcome.logs).toEqual([]);
  });

  it('never puts more than limits.concurrency activations into one container', async () => {
    const runtime = newRuntime();
    const action = nodeAction(BARRIER_ACTION, { limits: { concurrency: 2 } });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => runtime.run(action, runRequest(action, { expect: 2 }))));
    const perContainer = new Map<string, number>();
    for (const outcome of outcomes) perContainer.set(outcome.containerId, (perContainer.get(outcome.containerId) ?? 0) + 1);
    expect([...perContainer.values()]).toEqual([2, 2]);
    expect(outcomes.map((o) => o.result['peak'])).toEqual([2, 2, 2, 2]);
  });

  it('gives each activation its own container when concurrency is 1', async () => {
    const runtime = newRuntime();
    const action = nodeAction(SLEEP_ACTION);
    const outcomes = await Promise.all([1, 2].map(() => runtime.run(action, runRequest(action, { ms: 200 }))));
    expect(outcomes.map((o) => o.cold)).toEqual([true, true]);
    expect(outcomes[0]?.result['pid']).not.toBe(outcomes[1]?.result['pid']);
  });
});

describe('container priority', () => {
  const PRIORITY_ACTION = "function main() { return { priority: require('os').getPriority() }; }";

  it('runs containers 10 below the platform\'s CPU priority by default, and at the given niceness, 0 being the same', async () => {
    const own = os.getPriority();
    const priorityIn = async (runtime: ActionRuntime) => {
      const action = nodeAction(PRIORITY_ACTION);
      return (await runtime.run(action, runRequest(action))).result['priority'];
    };
    expect(await priorityIn(newRuntime())).toBe(Math.min(19, own + DEFAULT_CONTAINER_NICE));
    expect(DEFAULT_CONTAINER_NICE).toBe(10);
    expect(await priorityIn(newRuntime({ containerNice: 3 }))).toBe(Math.min(19, own + 3));
    expect(await priorityIn(newRuntime({ containerNice: 0 }))).toBe(own);
  });

  it('refuses a niceness out of 0..19 by name before the platform starts anything (it was clamped silently)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'whiskflow-nice-'));
    try {
      await expect(startPlatform({ dataDir, port: 0, runtime: { containerNice: 25 } })).rejects.toThrow('runtime option containerNice: expected a whole number from 0 to 19 (got 25)');
      expect(() => createNodeRuntime({ containerNice: -1 })).toThrow('runtime option containerNice');
      // The embedded CouchDB never started: nothing was written.
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the memory budget and the container cap', () => {
  it('evicts an idle container of another action to make room', async () => {
    const runtime = newRuntime({ maxContainers: 1 });
    const first = nodeAction(SLEEP_ACTION);
    const second = nodeAction(SLEEP_ACTION);
    const before = await runtime.run(first, runRequest(first));
    const after = await runtime.run(second, runRequest(second));
    expect(after).toMatchObject({ status: 'success', cold: true });
    expect(runtime.stats().containers).toBe(1);
    await until('the evicted container has exited', () => !isProcessAlive(before.result['pid'] as number));
  });

  it('scales an action out over a recently used idle container of another action only once it has been idle a while; an action without a container does not wait', async () => {
    const runtime = newRuntime({ userMemoryMb: 2 * 256, prewarmCount: 0 });
    const busy = nodeAction(SLEEP_ACTION);
    const other = nodeAction(SLEEP_ACTION);
    const newcomer = nodeAction(SLEEP_ACTION);
    await runtime.run(other, runRequest(other));
    const running = runtime.run(busy, runRequest(busy, { ms: 3_000 }));
    await until('the long activation runs', () => runtime.stats().busy === 1);
    // A second activation of the busy action: the other action's container was used just now.
    const scaledOut = await runtime.run(busy, runRequest(busy));
    expect(scaledOut).toMatchObject({ status: 'success', cold: true });
    expect(scaledOut.waitTime).toBeGreaterThanOrEqual(SCALE_OUT_MIN_IDLE_MS - 300);
    expect(scaledOut.waitTime).toBeLessThan(2_500);
    // An action with no container takes the room of the least recently used idle container at once.
    const first = await runtime.run(newcomer, runRequest(newcomer));
    expect(first).toMatchObject({ status: 'success', cold: true });
    expect(first.waitTime).toBeLessThan(SCALE_OUT_MIN_IDLE_MS - 300);
    expect(await running).toMatchObject({ status: 'success' });
  });

  it('queues requests while every container is busy; an action without a container gets one in arrival order', async () => {
    const runtime = newRuntime({ maxContainers: 1 });
    const busy = nodeAction(SLEEP_ACTION);
    const other = nodeAction(SLEEP_ACTION);
    const running = runtime.run(busy, runRequest(busy, { ms: 400 }));
    const queuedOther = runtime.run(other, runRequest(other));
    const queuedSame = runtime.run(busy, runRequest(busy));
    expect(runtime.stats()).toMatchObject({ containers: 1, busy: 1, queued: 2 });

    const [first, second, third] = await Promise.all([running, queuedOther, queuedSame]);
    expect(first).toMatchObject({ status: 'success', cold: true });
    // The request for the other action came first and its action had no container: it took over
    // the busy action's container once that finished (a pool of one cannot keep both warm).
    expect(second).toMatchObject({ status: 'success', cold: true });
    expect(second?.start).toBeGreaterThanOrEqual(first?.end ?? Infinity);
    expect(second?.waitTime).toBeGreaterThan(0);
    expect(third).toMatchObject({ status: 'success', cold: true });
    expect(third?.start).toBeGreaterThanOrEqual(second?.end ?? Infinity);
    expect(runtime.stats()).toMatchObject({ containers: 1, busy: 0, queued: 0 });
  });

  it('counts memory limits against userMemoryMb: a bigger action takes the room of two smaller ones', async () => {
    const runtime = newRuntime({ userMemoryMb: 512 });
    const small = nodeAction(SLEEP_ACTION, { limits: { memory: 256 } });
    const big = nodeAction(SLEEP_ACTION, { limits: { memory: 512 } });
    const smalls = await Promise.all([1, 2].map(() => runtime.run(small, runRequest(small, { ms: 300 }))));
    expect(new Set(smalls.map((o) => o.containerId)).size).toBe(2);
    expect(runtime.stats().containers).toBe(2);
    // Both small containers are idle now; the big one needs the memory of both.
    const bigOutcome = await runtime.run(big, runRequest(big));
    expect(bigOutcome).toMatchObject({ status: 'success', cold: true });
    expect(runtime.stats().containers).toBe(1);
    for (const outcome of smalls) await until('the evicted containers have exited', () => !isProcessAlive(outcome.result['pid'] as number));
  });

  it('runs a burst over a few actions without thrashing and within the budget', async () => {
    // Room for 4 containers; 3 actions; 1,000 activations submitted at once, interleaved.
    const runtime = newRuntime({ userMemoryMb: 4 * 256, prewarmCount: 0 });
    const actions = [nodeAction(SLEEP_ACTION), nodeAction(SLEEP_ACTION), nodeAction(SLEEP_ACTION)];
    let peakContainers = 0;
    const outcomes = await Promise.all(Array.from({ length: 1000 }, (_, i) => {
      const action = actions[i % actions.length]!;
      const run = runtime.run(action, runRequest(action, { ms: 5 }));
      peakContainers = Math.max(peakContainers, runtime.stats().containers);
      return run.then((outcome) => {
        peakContainers = Math.max(peakContainers, runtime.stats().containers);
        return outcome;
      });
    }));
    expect(outcomes.every((o) => o.status === 'success')).toBe(true);
    expect(peakContainers).toBeLessThanOrEqual(4);
    // Containers stay with their action while it has waiting work: the first 4 start cold, and idle
    // ones are only replaced once their action has nothing left to run, which happens once per
    // action in a burst: at most 4 cold starts per action, not one per activation as when thrashing.
    const cold = outcomes.filter((o) => o.cold).length;
    expect(cold).toBeLessThanOrEqual(4 * actions.length);
    expect(new Set(outcomes.map((o) => o.containerId)).size).toBe(cold);
  });

  it('gives an action that arrives while another fills the pool a container of its own', async () => {
    const runtime = newRuntime({ userMemoryMb: 2 * 256, prewarmCount: 0 });
    const flood = nodeAction(SLEEP_ACTION);
    const late = nodeAction(SLEEP_ACTION);
    const floodRuns = Array.from({ length: 40 }, () => runtime.run(flood, runRequest(flood, { ms: 20 })));
    const lateOutcome = await runtime.run(late, runRequest(late));
    const floodOutcomes = await Promise.all(floodRuns);
    expect(lateOutcome).toMatchObject({ status: 'success', cold: true });
    // It did not wait for the whole flood: some of the flood ran after it.
    expect(floodOutcomes.some((o) => o.start >= lateOutcome.end)).toBe(true);
    // The flood lost one container to it, and cold-started at most once more afterwards.
    expect(floodOutcomes.filter((o) => o.cold).length).toBeLessThanOrEqual(3);
  });

  it('lets queued requests of the same action reuse the container warm', async () => {
    const runtime = newRuntime({ maxContainers: 1 });
    const action = nodeAction(SLEEP_ACTION);
    const outcomes = await Promise.all([50, 0, 0].map((ms) => runtime.run(action, runRequest(action, { ms }))));
    expect(outcomes.map((o) => o.cold)).toEqual([true, false, false]);
    expect(new Set(outcomes.map((o) => o.containerId)).size).toBe(1);
  });
});

describe('prewarmed processes', () => {
  /** When the action's process started, by the shared wall clock. */
  const PROCESS_START_ACTION = 'function main() { return { processStartedAt: Date.now() - process.uptime() * 1000 }; }';

  it('serves a later cold start from a process started before the request', async () => {
    const runtime = newRuntime({ prewarmCount: 1 });
    const first = nodeAction(PROCESS_START_ACTION);
    const firstRequestedAt = Date.now();
    const firstOutcome = await runtime.run(first, runRequest(first));
    // No stem cell before the first cold start: that one spawned its own process.
    expect(firstOutcome.result['processStartedAt']).toBeGreaterThanOrEqual(firstRequestedAt - 1);

    const second = nodeAction(PROCESS_START_ACTION);
    const secondRequestedAt = Date.now();
    const secondOutcome = await runtime.run(second, runRequest(second));
    expect(secondOutcome).toMatchObject({ status: 'success', cold: true, initTime: expect.any(Number) });
    expect(secondOutcome.result['processStartedAt']).toBeLessThan(secondRequestedAt);
  });

  it('uses no stem cell for an action with another memory limit', async () => {
    const runtime = newRuntime({ prewarmCount: 1 });
    const first = nodeAction(PROCESS_START_ACTION);
    await runtime.run(first, runRequest(first));
    const bigger = nodeAction(PROCESS_START_ACTION, { limits: { memory: 512 } });
    const requestedAt = Date.now();
    const outcome = await runtime.run(bigger, runRequest(bigger));
    expect(outcome.result['processStartedAt']).toBeGreaterThanOrEqual(requestedAt - 1);
  });

  it('starts a fresh process for every cold start when prewarming is off', async () => {
    const runtime = newRuntime({ prewarmCount: 0 });
    const first = nodeAction(PROCESS_START_ACTION);
    await runtime.run(first, runRequest(first));
    const second = nodeAction(PROCESS_START_ACTION);
    const requestedAt = Date.now();
    const outcome = await runtime.run(second, runRequest(second));
    expect(outcome.result['processStartedAt']).toBeGreaterThanOrEqual(requestedAt - 1);
  });
});

describe('container lifetime', () => {
  it('stops containers that stay idle past idleTimeoutMs', async () => {
    const runtime = newRuntime({ idleTimeoutMs: 200 });
    const action = nodeAction(SLEEP_ACTION);
    const outcome = await runtime.run(action, runRequest(action));
    await until('the idle container is stopped', () => runtime.stats().containers === 0);
    await until('its process has exited', () => !isProcessAlive(outcome.result['pid'] as number));
  });

  it('stops every container on shutdown and answers queued and later requests with an internal error', async () => {
    const runtime = newRuntime({ maxContainers: 1 });
    const hanging = nodeAction(SLEEP_ACTION);
    const pid = (await runtime.run(hanging, runRequest(hanging))).result['pid'] as number;
    // Warm, so this run is inside the container (not starting one) when the platform shuts down.
    const running = runtime.run(hanging, runRequest(hanging, { ms: 60_000 }));
    const other = nodeAction(SLEEP_ACTION);
    const queued = runtime.run(other, runRequest(other));
    expect(runtime.stats()).toMatchObject({ containers: 1, busy: 1, queued: 1 });
    // One turn of the event loop lets the pool hand the run to the (already initialized) container.
    await new Promise((resolve) => setImmediate(resolve));
    await runtime.shutdown();
    expect(isProcessAlive(pid)).toBe(false);
    expect(await queued).toMatchObject({ status: 'whisk internal error', result: { error: 'Failed to provision resources to run the action.' } });
    expect(await running).toMatchObject({
      status: 'action developer error',
      result: { error: 'The action did not produce a valid response and exited unexpectedly.' },
    });
    expect(await runtime.run(other, runRequest(other))).toMatchObject({ status: 'whisk internal error' });
    expect(runtime.stats()).toEqual({ containers: 0, busy: 0, queued: 0, memoryByContainer: {} });
  });

  it('leaves no container behind when the platform process is killed, even one stuck in a loop', async () => {
    const repoModules = path.resolve(__dirname, '..', '..', '..', '..', 'node_modules');
    const script = `
      const { createNodeRuntime } = require(${JSON.stringify(compiled.indexPath)});
      const runtime = createNodeRuntime({ moduleSearchPath: ${JSON.stringify(repoModules)} });
      const action = { fqn: '/guest/orphan', revision: '1', namespace: 'guest', kind: 'nodejs:20', binary: false, main: 'main',
        code: 'function main() { setTimeout(() => { for (;;) {} }, 100); return { pid: process.pid, home: process.env.HOME }; }', limits: { timeout: 10000, memory: 256, logs: 10, concurrency: 1 } };
      runtime.run(action, { activationId: 'a', params: {}, namespace: 'guest', actionName: '/guest/orphan', deadline: Date.now() + 10000, apiHost: 'http://127.0.0.1:1' })
        .then((outcome) => console.log(JSON.stringify(outcome.result)));
      setInterval(() => {}, 1000);`;
    const platform = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const result = await new Promise<RunOutcome['result']>((resolve, reject) => {
      platform.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString('utf8')) as RunOutcome['result']));
      platform.once('exit', (code) => reject(new Error(`platform process exited early (${String(code)})`)));
    });
    const containerPid = result['pid'] as number;
    expect(isProcessAlive(containerPid)).toBe(true);
    // Let the container enter its endless loop, where it cannot see the IPC channel close.
    await sleep(300);
    platform.kill('SIGKILL');
    await until('the orphaned container has exited', () => !isProcessAlive(containerPid));
    // Its work directory (HOME) goes with it, though the platform was not there to remove it.
    expect(result['home']).toEqual(expect.stringContaining('whiskflow-container-'));
    expect(fs.existsSync(result['home'] as string)).toBe(false);
  });
});

describe('cold starts at once', () => {
  // Its /init takes a second of the container's own time; main reports when that was.
  const SLOW_INIT_ACTION = `
const initStart = Date.now();
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
const initEnd = Date.now();
function main() { return { initStart, initEnd }; }`;

  const initWindows = async (maxConcurrentStarts: number) => {
    const runtime = newRuntime({ maxConcurrentStarts, prewarmCount: 0 });
    const actions = [1, 2, 3].map(() => nodeAction(SLOW_INIT_ACTION));
    const outcomes = await Promise.all(actions.map((action) => runtime.run(action, runRequest(action))));
    expect(outcomes.map((o) => o.status)).toEqual(['success', 'success', 'success']);
    return outcomes.map((o) => o.result as { initStart: number; initEnd: number }).sort((a, b) => a.initStart - b.initStart);
  };

  it('starts at most maxConcurrentStarts containers at once; the others wait for a start to end', async () => {
    const windows = await initWindows(1);
    for (let i = 1; i < windows.length; i += 1) expect(windows[i]!.initStart).toBeGreaterThanOrEqual(windows[i - 1]!.initEnd);
  });

  it('starts them together when the bound allows', async () => {
    const windows = await initWindows(3);
    // The second process was started before the first finished its /init.
    expect(windows[1]!.initStart).toBeLessThan(windows[0]!.initEnd);
  });
});
