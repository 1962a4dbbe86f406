/**
 * What a warm orchestrator container remembers between activations. Only documents that never
 * change once written are kept (a run's definition and input, claimed transitions, the joined
 * results of a completed stage), so a cached copy can never be stale: a cache only saves reads.
 * (One hint besides: how many joined markers a stage had, which only schedules a listing.) Also the
 * compiled form of each definition object it holds (a definition never changes either).
 */
import type { Json } from '../../model/json';
import type { StageDoc } from '../../store/run-documents';
import type { RunStore, StoredDoc } from '../../store/run-store';
import { compileWorkflow, type CompiledWorkflow } from '../../model/compile';
import type { Workflow } from '../../model/workflow';
import type { RunHead } from './run-head';
import { LruMap } from '../../core/lru-map';

/** The joined results of one completed stage visit, as the reduce stage after it needs them. */
export interface JoinedResults {
  stageId: string;
  position: number;
  values: Json[];
}

export interface WarmCache {
  /** Run heads as created: definition, trigger, input (the status is not relied upon from here). */
  runs: LruMap<RunHead>;
  /** Claimed transitions by document id. */
  stages: LruMap<StoredDoc<StageDoc>>;
  /** Joined results by `<runId>/<position>`; few, since they can be large. */
  results: LruMap<JoinedResults>;
  /**
   * The most joined markers (`joined/…`) a listing of this container saw, by `<runId>/<position>`. Not a
   * document but a lower bound of a count that only grows; it decides nothing but when the join
   * lists the markers (see joinIfComplete), so a missing or low value only costs a round trip.
   */
  markersSeen: LruMap<number>;
  /** Reads in flight by document id: concurrent activations of one container share one read. */
  reads: Map<string, Promise<unknown>>;
}

/**
 * Reads `id` once for all the activations that want it at the same moment: a container that runs
 * many activations at once (`limits.concurrency`) would otherwise send one read per activation
 * before the first answer fills the cache.
 */
export function readShared<T>(cache: WarmCache, id: string, read: () => Promise<T>): Promise<T> {
  const pending = cache.reads.get(id) as Promise<T> | undefined;
  if (pending) return pending;
  const started = read().finally(() => cache.reads.delete(id));
  cache.reads.set(id, started);
  return started;
}

const caches = new WeakMap<RunStore, WarmCache>();

/** One cache per store (a container talks to one store; tests use one store per run). */
export function warmCacheOf(store: RunStore): WarmCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = { runs: new LruMap(200), stages: new LruMap(1_000), results: new LruMap(8), markersSeen: new LruMap(200), reads: new Map() };
    caches.set(store, cache);
  }
  return cache;
}

const compiled = new WeakMap<Workflow, CompiledWorkflow>();

/**
 * The compiled form of a run's definition, compiled once per definition object: a cached head keeps
 * its definition, so a warm container compiles each run's definition once (a child run created by
 * this container shares its parent's).
 */
export function compiledOf(definition: Workflow): CompiledWorkflow {
  let workflow = compiled.get(definition);
  if (!workflow) {
    workflow = compileWorkflow(definition);
    compiled.set(definition, workflow);
  }
  return workflow;
}
