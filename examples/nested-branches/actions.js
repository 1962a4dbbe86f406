/**
 * The nested-branches example's actions: plain OpenWhisk Node.js actions that know nothing of
 * whiskflow. Deployed as package `nested` (see manifest.yaml), all from this file with different
 * `main` functions.
 */
'use strict';

/** { v?: number } -> { v: v + 1 } (v defaults to 0) */
function inc(params) {
  return { v: (typeof params.v === 'number' ? params.v : 0) + 1 };
}

/** { value: number } (a map element) -> { value: value * value } */
function square(params) {
  if (typeof params.value !== 'number') return { error: `square expects { value: number }, got ${JSON.stringify(params)}` };
  return { value: params.value * params.value };
}

/** { results: [{ value }] } (a reduce) -> { total } */
function add(params) {
  return { total: (params.results || []).reduce((sum, result) => sum + result.value, 0) };
}

/** { size, n } -> { size, n } */
function label(params) {
  return { size: params.size, n: params.n };
}

/** { value: [{ v }] } (a parallel stage's results) -> { v: sum of v } */
function sumv(params) {
  return { v: (params.value || []).reduce((sum, result) => sum + result.v, 0) };
}

/** The joined branches and the input's n. */
function summarize(params) {
  return { n: params.n, branches: params.branches };
}

module.exports = { inc, square, add, label, sumv, summarize };
