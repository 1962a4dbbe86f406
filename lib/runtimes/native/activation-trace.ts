/**
 * Where an orchestrator activation's time goes: store round trips and platform invokes, counted per
 * activation and returned with its result (`trace`), so that a benchmark can split a transition into
 * store time, invoke time and the rest from the activation records alone.
 *
 * AsyncLocalStorage keeps activations apart when one container runs several at once
 * (`limits.concurrency` > 1); the wrapped store is made once per store so that the warm cache,
 * keyed by store, survives activations.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RunStore } from '../../store/run-store';
import type { TaskInvoker } from './invoker';

export interface ActivationTrace {
  storeRequests: number;
  storeMs: number;
  invokes: number;
  invokeMs: number;
  /**
   * The first calls in order, as `name@startMs+durationMs` relative to the activation's start: a
   * benchmark can then tell which round trip of a slow transition (a join) took the time.
   */
  timeline: string[];
}

/** Enough for a transition or a join; an activation that starts a wide stage stops recording there. */
const TIMELINE_LIMIT = 24;

interface Tracing extends ActivationTrace { origin: number }

const current = new AsyncLocalStorage<Tracing>();
const tracedStores = new WeakMap<RunStore, RunStore>();

export async function withTrace<T>(work: () => Promise<T>): Promise<{ value: T; trace: ActivationTrace }> {
  const tracing: Tracing = { storeRequests: 0, storeMs: 0, invokes: 0, invokeMs: 0, timeline: [], origin: performance.now() };
  const value = await current.run(tracing, work);
  const { origin: _origin, ...trace } = tracing;
  return { value, trace: { ...trace, storeMs: Math.round(trace.storeMs), invokeMs: Math.round(trace.invokeMs) } };
}

async function timed<T>(name: string, count: (trace: ActivationTrace, ms: number) => void, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    const trace = current.getStore();
    if (trace) {
      const ms = performance.now() - started;
      count(trace, ms);
      if (trace.timeline.length < TIMELINE_LIMIT) trace.timeline.push(`${name}@${Math.round(started - trace.origin)}+${Math.round(ms)}`);
    }
  }
}

const STORE_CALLS = new Set(['get', 'createOnly', 'createMany', 'replace', 'replaceMany', 'upsert', 'remove', 'listByPrefix', 'getMany', 'revisions']);

/** The same store, each request counted in the calling activation's trace. */
export function tracedStore(store: RunStore): RunStore {
  let traced = tracedStores.get(store);
  if (!traced) {
    traced = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || !STORE_CALLS.has(String(property))) return value;
        return (...args: unknown[]) => timed(String(property), (trace, ms) => { trace.storeRequests += 1; trace.storeMs += ms; }, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
    tracedStores.set(store, traced);
  }
  return traced;
}

export function tracedInvoker(invoker: TaskInvoker): TaskInvoker {
  const count = (trace: ActivationTrace, ms: number) => { trace.invokes += 1; trace.invokeMs += ms; };
  return {
    start: (task) => timed('invoke', count, () => invoker.start(task)),
    scheduleTimeout: (context, timeoutMs) => timed('timer', count, () => invoker.scheduleTimeout(context, timeoutMs)),
    ...(invoker.callbackTokenOf ? { callbackTokenOf: invoker.callbackTokenOf.bind(invoker) } : {}),
  };
}
