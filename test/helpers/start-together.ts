/**
 * Starts several services of a suite at once. Like `Promise.all`, but when one fails to start, the
 * others that did start are stopped before the error is rethrown: with `Promise.all` they would be
 * running with nothing holding them, so the suite's afterAll could not stop them (a Redis missing
 * left five suites' platforms and embedded CouchDB servers running, and Jest never exited).
 */
export interface Stoppable {
  stop(): Promise<unknown>;
}

export async function startTogether<T extends readonly unknown[]>(
  starts: readonly [...{ [K in keyof T]: Promise<T[K]> }],
  stop: (started: T[number]) => Promise<unknown> = (started) => (started as Stoppable).stop(),
): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (!failure) return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T;
  await Promise.allSettled(settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [stop(outcome.value as T[number])] : [])));
  throw failure.reason;
}
