/** What the native benchmark's phases share: its options, the running services, names, progress. */
import { readFileSync, writeFileSync } from 'node:fs';
import type openwhisk from 'openwhisk';
import type { DeliveryClient, ManagementClient } from '../../../lib/openwhisk/client';
import type { RunStore } from '../../../lib/store/run-store';
import type { ChildPlatform } from '../lib/child-platform';
import type { Backend, StreamingEngine } from '../streaming/processes';
import type { CountingProxy } from './couch-proxy';

export type Client = ReturnType<typeof openwhisk>;
export type BenchClient = Client & ManagementClient & DeliveryClient;

export interface Options {
  sequenceSizes: number[];
  repetitions: number;
  fanoutSizes: number[];
  fanout10k: boolean;
  maxContainers?: number;
  userMemoryMb?: number;
  containerNice: number;
  whiskflowConcurrency?: number;
  whiskflowMemory?: number;
  couchProxy: boolean;
  separateRunStore: boolean;
  runTimeoutMs: number;
  maxRunMs?: number;
  stallMs: number;
  mapConcurrency?: number;
  streamingBackends: Backend[];
  completionPaths: CompletionPath[];
  out: string;
  platformEntry: string;
  actionsDir: string;
}

export const NOOP = 'bench-noop';
export const MAP_NOOP = 'bench-map-noop';
export const REDUCE_NOOP = 'bench-reduce-noop';
export const NOOP_CODE = 'function main() { return {}; }';
export const ORCHESTRATOR = 'whiskflow/orchestrator';
export const TASK = 'whiskflow/task';
export const FANOUT_WORKFLOW = 'bench-fanout';
/** `whiskflow` is the native orchestrator; the streaming engine runs the same workflow per backend. */
export type System = 'whiskflow' | StreamingSystem | 'openwhiskSequence' | 'composer';
export type StreamingSystem = 'streamingRedis' | 'streamingKafka';
export const STREAMING_SYSTEM: Record<Backend, StreamingSystem> = { redis: 'streamingRedis', kafka: 'streamingKafka' };
export const BACKENDS: readonly Backend[] = ['redis', 'kafka'];
/** conductor: the task conductor applies completions; trigger: it fires them, the orchestrator applies them. */
export type CompletionPath = 'chain' | 'conductor' | 'trigger';
export const COMPLETION_PATHS: readonly CompletionPath[] = ['chain', 'conductor', 'trigger'];

export interface Context {
  options: Options;
  ow: BenchClient;
  store: RunStore;
  platform: ChildPlatform;
  proxy?: CountingProxy;
  /** The embedded pouchdb-server processes (the platform's, and the run store's when separate). */
  couchPids: number[];
  /** A `whiskflow engine` per streaming backend that started, and the stream to start its runs on. */
  streaming: Partial<Record<StreamingSystem, StreamingEngine>>;
}

/** Partial results next to the report while a long run goes on (the final report replaces nothing else). */
export function writeProgress(ctx: Context, key: string, value: unknown): void {
  try {
    writeFileSync(`${ctx.options.out}.partial`, `${JSON.stringify({ ...readPartial(ctx), [key]: value }, null, 2)}\n`);
  } catch { /* progress is best effort */ }
}
function readPartial(ctx: Context): Record<string, unknown> {
  try { return JSON.parse(readFileSync(`${ctx.options.out}.partial`, 'utf8')) as Record<string, unknown>; } catch { return {}; }
}
