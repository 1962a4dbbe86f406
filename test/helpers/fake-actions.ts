/**
 * The test kit's one table of fake actions: what the actions named by the workflow fixtures
 * (test/fixtures/workflows) answer, as deterministic functions of their parameters. Every in-memory
 * runtime of the unit tests runs it: the pure core's simulation (test/helpers/simulate.ts) and the
 * streaming engine's fake platform (test/helpers/streaming/fake-platform.ts). The conformance
 * suite's actions (test/conformance/actions.ts) are part of its cases, beside them.
 */
import type { Json, JsonObject } from '../../lib/model/json';

/** A fixture's action: its result for the parameters it is invoked with (none of them fails). */
export type FixtureAction = (params: JsonObject) => { result: Json };

const numbers = (params: JsonObject): number[] => (params.value as number[]);
const sums = (params: JsonObject): number[] => (params.results as { sum: number }[]).map((part) => part.sum);

export const fixtureActions: Readonly<Record<string, FixtureAction>> = {
  echo: (params) => ({ result: params }),
  /** mapreduce: one chunk's numbers (`value`) → `{ sum }`. */
  sum: (params) => ({ result: { sum: numbers(params).reduce((total, n) => total + n, 0) } }),
  /** mapreduce: the chunks' sums, added in chunk order → `{ sum, parts }` (the sums in the order received). */
  sumall: (params) => ({ result: { sum: sums(params).reduce((total, n) => total + n, 0), parts: sums(params) } }),
  wait: (params) => ({ result: { waited: params.ms ?? params.value ?? 0 } }),
  'wordcount/count': (params) => {
    const counts: Record<string, number> = {};
    for (const word of String(params.value).split(/\s+/).filter(Boolean)) counts[word] = (counts[word] ?? 0) + 1;
    return { result: counts };
  },
  'wordcount/merge': (params) => {
    const merged: Record<string, number> = {};
    for (const counts of params.results as Record<string, number>[]) {
      for (const [word, count] of Object.entries(counts)) merged[word] = (merged[word] ?? 0) + count;
    }
    return { result: merged };
  },
};
