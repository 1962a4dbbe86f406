/** Actions of the parallel-waits and sequence-of-waits examples (package `waits`). */
'use strict';

/** Waits `ms` milliseconds (default 100), then returns how long it waited. */
function wait(params) {
  const ms = typeof params.ms === 'number' ? params.ms : 100;
  return new Promise((resolve) => setTimeout(() => resolve({ waited: ms, total: (params.total || 0) + ms }), ms));
}

/** { results: [{ waited }, ...] } -> how many joined and how long they waited in all. */
function count(params) {
  const results = Array.isArray(params.results) ? params.results : [];
  return { joined: results.length, waitedInAll: results.reduce((sum, r) => sum + (r.waited || 0), 0) };
}

module.exports = { wait, count };
