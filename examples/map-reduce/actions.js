/**
 * The map-reduce example's actions: plain OpenWhisk Node.js actions that know nothing of whiskflow.
 * Deployed as package `mapreduce` (see manifest.yaml): `sum`, `sumall`, `label`, all from this file
 * with different `main` functions.
 */
'use strict';

/** { numbers: [1, 2, 3] } -> { sum: 6 } */
function sum(params) {
  if (!Array.isArray(params.numbers) || !params.numbers.every((n) => typeof n === 'number')) {
    return { error: `sum expects { numbers: number[] }, got ${JSON.stringify(params.numbers)}` };
  }
  return { sum: params.numbers.reduce((total, n) => total + n, 0) };
}

/** { results: [{ sum: 6 }, ...] } -> { total, parts } */
function sumall(params) {
  const results = Array.isArray(params.results) ? params.results : [];
  return { total: results.reduce((total, part) => total + (part.sum || 0), 0), parts: results.length };
}

/** Adds the static `label` parameter to the data it received. */
function label(params) {
  return { ...params };
}

module.exports = { sum, sumall, label };
