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
}

const current = new AsyncLocalStorage<ActivationTrace>();
const tracedStores = new WeakMap<RunStore, RunStore>();

export async function withTrace<T>(work: () => Promise<T>): Promise<{ value: T; trace: ActivationTrace }> {
  const trace: ActivationTrace = { storeRequests: 0, storeMs: 0, invokes: 0, invokeMs: 0 };
  const value = await current.run(trace, work);
  return { value, trace: { ...trace, storeMs: Math.round(trace.storeMs), invokeMs: Math.round(trace.invokeMs) } };
}

async function timed<T>(count: (trace: ActivationTrace, ms: number) => void, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    const trace = current.getStore();
    if (trace) count(trace, performance.now() - started);
  }
}

const STORE_CALLS = new Set(['get', 'createOnly', 'createMany', 'replace', 'replaceMany', 'upsert', 'remove', 'listByPrefix']);

/** The same store, each request counted in the calling activation's trace. */
export function tracedStore(store: RunStore): RunStore {
  let traced = tracedStores.get(store);
  if (!traced) {
    traced = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function' || !STORE_CALLS.has(String(property))) return value;
        return (...args: unknown[]) => timed((trace, ms) => { trace.storeRequests += 1; trace.storeMs += ms; }, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
    tracedStores.set(store, traced);
  }
  return traced;
}

export function tracedInvoker(invoker: TaskInvoker): TaskInvoker {
  const count = (trace: ActivationTrace, ms: number) => { trace.invokes += 1; trace.invokeMs += ms; };
  return {
    start: (task) => timed(count, () => invoker.start(task)),
    scheduleTimeout: (context, timeoutMs) => timed(count, () => invoker.scheduleTimeout(context, timeoutMs)),
  };
}
