/**
 * The run store of a whiskflow action (the orchestrator, the task conductor): one per store
 * configuration for the life of the container, so that its caches (warm-cache.ts) survive
 * activations. Group commit: the activations a container runs at once share their creates and
 * listings (lib/store/group-commit.ts), which cuts the store's request count on wide fan-ins.
 */
import { createRunStore, storeConfigOfAction } from '../../store/config';
import { GroupCommitStore } from '../../store/group-commit';
import type { RunStore } from '../../store/run-store';

const stores = new Map<string, RunStore>();

/** `settings`: the action's `whiskflowStore` parameter, as bound at deploy. */
export function storeOfAction(settings: unknown): RunStore {
  const config = storeConfigOfAction(settings);
  const key = JSON.stringify(config);
  return stores.get(key) ?? stores.set(key, new GroupCommitStore(createRunStore(config))).get(key)!;
}
