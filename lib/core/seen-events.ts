/**
 * Whether a run already applied an event, without scanning its `seenEventIds`: every event is
 * checked against up to MAX_SEEN_EVENT_IDS ids (twice in the streaming engine), which made a
 * 10,000-task map O(n²) in string comparisons. The array stays the stored form; a Set per array
 * object is built on its first large lookup and kept in step by `rememberSeen`, the only writer.
 * A copied state has a new array, whose Set is built when first needed.
 */
const indexes = new WeakMap<readonly string[], Set<string>>();

/** Below this, scanning is cheaper than building a Set. */
const SCAN_LIMIT = 64;

export function hasSeen(ids: readonly string[], id: string): boolean {
  if (ids.length < SCAN_LIMIT) return ids.includes(id);
  let index = indexes.get(ids);
  if (!index) {
    index = new Set(ids);
    indexes.set(ids, index);
  }
  return index.has(id);
}

/** Appends `id`, keeping only the newest `max` ids. */
export function rememberSeen(ids: string[], id: string, max: number): void {
  ids.push(id);
  indexes.get(ids)?.add(id);
  if (ids.length > max) {
    ids.splice(0, ids.length - max);
    // Rebuilt on the next lookup: deleting the dropped ids one by one would be wrong for an id kept twice.
    indexes.delete(ids);
  }
}
