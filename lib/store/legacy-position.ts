/**
 * Reading what an earlier version stored under `seq` where this one says `position`.
 *
 * The native runtime's storage coordinate (the n-th transition of a run: stage, invoke, result and
 * joined documents, event waits, a child run's `parent`, the task context an attempt carries) and
 * the streaming engine's numbering of stage visits (`stageVisits` of a checkpoint) were once called
 * `seq`, the word task keys use for the n-th visit of a stage (lib/events/task-key.ts). A run in
 * flight across the upgrade still has them, so what is read is renamed here, and only here: by the
 * stores `createRunStore` opens (every `get` and listing), by the task-context parser
 * (lib/runtimes/native/events.ts) and by the checkpoint reader (lib/runtimes/streaming/context-store.ts).
 * Ids never changed (`stage/<runId>/<0004>`): only the field inside the body did.
 */
import type { ListedDoc, RunStore, StoreAnswer, StoreRead, StoredDoc } from './run-store';

/** Document types whose body carries the coordinate at the top level. */
const POSITIONED = new Set(['stage', 'invoke', 'result', 'joined', 'waiter', 'consumed']);

/** `value` with a legacy `seq` renamed `position`; `value` itself when it has nothing to rename. */
export function withPosition<T>(value: T): T {
  const legacy = value as { seq?: unknown; position?: unknown } | null | undefined;
  if (typeof legacy !== 'object' || legacy === null || legacy.position !== undefined || typeof legacy.seq !== 'number') return value;
  const { seq, ...rest } = legacy;
  return { ...rest, position: seq } as T;
}

/** A stored document as this version reads it; the document itself when it is current. */
export function upgradeStoredDoc<T>(doc: T): T {
  const typed = doc as { type?: unknown; parent?: unknown; results?: unknown; consumedBy?: unknown; stageVisits?: unknown } | undefined;
  if (typeof typed !== 'object' || typed === null || typeof typed.type !== 'string') return doc;
  if (POSITIONED.has(typed.type)) {
    const upgraded = withPosition(doc) as typeof typed;
    // A joined marker may carry its bucket's result documents.
    if (typed.type === 'joined' && Array.isArray(upgraded.results)) {
      const results = upgraded.results.map(withPosition);
      if (results.some((result, i) => result !== (upgraded.results as unknown[])[i])) return { ...upgraded, results } as T;
    }
    return upgraded as T;
  }
  if (typed.type === 'run' && typed.parent !== undefined) {
    const parent = withPosition(typed.parent);
    return parent === typed.parent ? doc : ({ ...typed, parent } as T);
  }
  if (typed.type === 'stream-run') return upgradeStageVisits(doc);
  return doc;
}

/** A streaming checkpoint whose stage-visit numbering may have been stored as `seq`. */
export function upgradeStageVisits<T>(context: T): T {
  const visits = (context as { stageVisits?: Record<string, unknown> } | undefined)?.stageVisits;
  if (!visits) return context;
  let upgraded: Record<string, unknown> | undefined;
  for (const [key, visit] of Object.entries(visits)) {
    const current = withPosition(visit);
    if (current !== visit) (upgraded ??= { ...visits })[key] = current;
  }
  return upgraded ? { ...context, stageVisits: upgraded } : context;
}

/** `store`, reading documents of earlier versions as this one names their fields. */
export function readingLegacyPositions(store: RunStore): RunStore {
  const reading: RunStore = {
    get description() { return store.description; },
    ensureReady: () => store.ensureReady(),
    createOnly: (id, body) => store.createOnly(id, body),
    get: async <T extends object>(id: string) => {
      const doc = await store.get<T>(id);
      return doc && upgradeStoredDoc(doc);
    },
    replace: (doc) => store.replace(doc),
    upsert: (id, body) => store.upsert(id, body),
    remove: (id) => store.remove(id),
    listByPrefix: async <T extends object>(prefix: string, options?: Parameters<RunStore['listByPrefix']>[1]) => upgradeRows(await store.listByPrefix<T>(prefix, options)),
  };
  // The optional bulk operations stay optional: lib/store/bulk.ts falls back when one is absent.
  if (store.createMany) reading.createMany = store.createMany.bind(store);
  if (store.replaceMany) reading.replaceMany = store.replaceMany.bind(store);
  if (store.revisions) reading.revisions = store.revisions.bind(store);
  if (store.removeMany) reading.removeMany = store.removeMany.bind(store);
  const { getMany, readMany } = store;
  if (getMany) reading.getMany = async <T extends object>(ids: readonly string[]) => upgradeDocs(await getMany.call(store, ids) as Map<string, StoredDoc<T>>);
  if (readMany) {
    reading.readMany = async (reads: readonly StoreRead[]) => (await readMany.call(store, reads)).map((answer): StoreAnswer => {
      if (answer.kind === 'list') return { kind: 'list', rows: upgradeRows(answer.rows) };
      if (answer.kind === 'docs') return { kind: 'docs', docs: upgradeDocs(answer.docs) };
      return answer;
    });
  }
  return reading;
}

/** Listed rows as this version reads them; copied only when a row changes (current documents are passed on as listed). */
function upgradeRows<T>(rows: ListedDoc<T>[]): ListedDoc<T>[] {
  let upgraded: ListedDoc<T>[] | undefined;
  rows.forEach((row, i) => {
    const doc = row.doc && upgradeStoredDoc(row.doc);
    if (doc !== row.doc) (upgraded ??= [...rows])[i] = { ...row, doc };
  });
  return upgraded ?? rows;
}

/** Documents read by id, as a listing: the map is copied only when a document changes. */
function upgradeDocs<T>(docs: Map<string, StoredDoc<T>>): Map<string, StoredDoc<T>> {
  let upgraded: Map<string, StoredDoc<T>> | undefined;
  for (const [id, doc] of docs) {
    const current = upgradeStoredDoc(doc);
    if (current !== doc) (upgraded ??= new Map(docs)).set(id, current);
  }
  return upgraded ?? docs;
}
