/**
 * Sends a CouchDB request again when it failed on the way, before any answer: the embedded CouchDB
 * was restarted (embedded-couch.ts) and the request went out on a kept-alive connection to the
 * server that died. The port stays open across a restart, so the new connection of the next attempt
 * waits until the new server answers.
 *
 * Only failures without an HTTP answer are retried: an answer (409, 404, 503...) is the caller's to
 * handle. A write retried after it did land answers 409 (a create-only document exists, a revision
 * moved on), which callers already handle as a conflict.
 */
import { CouchConnectionError } from './couch-http';

/** Waits before the 2nd, 3rd, ... attempt. */
const RETRY_DELAYS_MS = [50, 250, 1000, 2000];

/**
 * True for nano's failure without an HTTP answer (`error happened in your connection`, no
 * statusCode), for fetch's own (`TypeError: fetch failed`) and for the run store's client's
 * (couch-http.ts).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof CouchConnectionError) return true;
  if (typeof error !== 'object' || error === null) return false;
  if (typeof (error as { statusCode?: unknown }).statusCode === 'number') return false;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && (message.startsWith('error happened in your connection') || message === 'fetch failed');
}

/** Calls `call` until it answers, a few times while it fails on the way; `failedOnce`: a first call failed so. */
export async function retryingConnection<T>(call: () => Promise<T>, failedOnce = false): Promise<T> {
  for (let attempt = failedOnce ? 1 : 0; ; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt - 1]));
    try {
      return await call();
    } catch (error) {
      if (attempt >= RETRY_DELAYS_MS.length || !isConnectionFailure(error)) throw error;
    }
  }
}

/**
 * The same client whose promise-returning methods retry connection failures: one place for every
 * call the platform makes through a nano database or server object.
 */
export function withConnectionRetry<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const first: unknown = Reflect.apply(value, target, args);
        if (!(first instanceof Promise)) return first;
        return first.catch((error: unknown) => {
          if (!isConnectionFailure(error)) throw error;
          return retryingConnection(() => Reflect.apply(value, target, args) as Promise<unknown>, true);
        });
      };
    },
  });
}
