/**
 * The conformance suite's fake actions: deterministic functions of their parameters and attempt
 * number, run by the driver whenever a runtime starts a task. An outcome is what an OpenWhisk
 * action returns: a result object, or an object with an `error` field (a failed activation); or
 * `'hang'`, an activation that never ends (the task's timeout must fail it).
 */
import type { Json, JsonObject } from '../../lib/model/json';

export type ActionOutcome = { result: Json } | { error: Json } | 'hang';
type FakeAction = (params: JsonObject, attempt: number) => ActionOutcome;

/** Parameters an action cannot work with: it fails (as a real action would), so the run shows it. */
class BadParams extends Error {}

const numberAt = (params: JsonObject, key: string): number => {
  const value = params[key];
  if (typeof value !== 'number') throw new BadParams(`expected a number at ${key}, got ${JSON.stringify(value)}`);
  return value;
};

const failure = (name: string, message = `${name} on purpose`): ActionOutcome => ({ error: { name, message } });

export const ACTIONS: Record<string, FakeAction> = {
  /** `{ value: n }` → `{ value: 2n }`. */
  double: (params) => ({ result: { value: numberAt(params, 'value') * 2 } }),
  /** `{ results: [{ value }, ...] }` (a reduce) → `{ value: Σ }`. */
  sum: (params) => {
    const results = params.results;
    if (!Array.isArray(results)) throw new BadParams(`expected results, got ${JSON.stringify(params)}`);
    return { result: { value: results.reduce<number>((total, item) => total + numberAt(item as JsonObject, 'value'), 0) } };
  },
  /** `{ n }` → `{ n: n + 1 }`. */
  inc: (params) => ({ result: { n: numberAt(params, 'n') + 1 } }),
  /** Its parameters, as they arrived. */
  echo: (params) => ({ result: params }),
  /** Fails with the error named by its `errorName` parameter, every time. */
  fail: (params) => failure(String(params.errorName)),
  /** Fails with `Flaky` while the attempt is at most its `failures` parameter, then answers `{ ok, attempt }`. */
  flaky: (params, attempt) => (attempt <= numberAt(params, 'failures') ? failure('Flaky') : { result: { ok: true, attempt } }),
  /** Never answers. */
  'never-answers': () => 'hang',
  /** Never answers when its `hang` parameter is true; otherwise answers its parameters. */
  'hangs-if-told': (params) => (params.hang === true ? 'hang' : { result: params }),
  /** Never answers its first attempt; answers `{ ok, attempt }` afterwards. */
  'hangs-once': (_params, attempt) => (attempt === 1 ? 'hang' : { result: { ok: true, attempt } }),
};

export function performAction(action: string, params: JsonObject, attempt: number): ActionOutcome {
  const fake = ACTIONS[action];
  if (!fake) throw new Error(`no fake action '${action}'`);
  try {
    return fake(params, attempt);
  } catch (thrown) {
    if (thrown instanceof BadParams) return failure('BadParams', thrown.message);
    throw thrown;
  }
}
