/**
 * Bounded parallelism for store and platform requests: enough in flight to hide latency, few enough
 * not to flood a single CouchDB or controller.
 */

/**
 * Runs `work` for every item, at most `limit` at once; after a failure no new item starts, and the
 * first failure is thrown once all in-flight work settled.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  }));
  if (failure) throw failure.error;
}
