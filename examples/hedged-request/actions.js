/** Actions of the hedged-request and quorum-write examples (package `replicas`). */
'use strict';

/**
 * A replica answering after `ms` milliseconds; `down: true` makes it fail instead (an application
 * error, as an action reports one). Returns which replica answered.
 */
function ask(params) {
  const ms = typeof params.ms === 'number' ? params.ms : 100;
  return new Promise((resolve) => setTimeout(() => resolve(params.down ? { error: `replica ${params.name} is down` } : { replica: params.name, key: params.key, waited: ms }), ms));
}

/** { results: [...] } (the answers that counted, in input order) -> the first, and how many counted. */
function pick(params) {
  const results = Array.isArray(params.results) ? params.results : [];
  return { answer: results[0] || null, counted: results.length };
}

/** { results: [...] } (the writes that counted) -> acknowledged when there are at least 2. */
function acknowledge(params) {
  const results = Array.isArray(params.results) ? params.results : [];
  return { acknowledged: results.length >= 2, replicas: results.map((result) => result.replica) };
}

module.exports = { ask, pick, acknowledge };
