/** Actions of the word-count example (package `wordcount`). */
'use strict';

/** { text, chunks: N } -> { chunks: [{ text }, ...] }, split on line boundaries into N parts. */
function split(params) {
  if (typeof params.text !== 'string') return { error: 'split expects { text: string, chunks?: number }' };
  const n = Math.max(1, Math.floor(params.chunks || 4));
  const lines = params.text.split('\n');
  const size = Math.ceil(lines.length / n);
  const chunks = [];
  for (let i = 0; i < n; i++) chunks.push({ text: lines.slice(i * size, (i + 1) * size).join('\n') });
  return { chunks };
}

/** { text } -> { counts: { word: n }, words } */
function count(params) {
  const counts = {};
  let words = 0;
  for (const word of String(params.text || '').toLowerCase().match(/[\p{L}\p{N}']+/gu) || []) {
    counts[word] = (counts[word] || 0) + 1;
    words++;
  }
  return { counts, words };
}

/** { results: [{ counts, words }, ...], top } -> { words, distinct, top: [[word, n], ...] } */
function merge(params) {
  const totals = {};
  let words = 0;
  for (const part of params.results || []) {
    words += part.words || 0;
    for (const [word, n] of Object.entries(part.counts || {})) totals[word] = (totals[word] || 0) + n;
  }
  const top = Object.entries(totals).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, params.top || 10);
  return { words, distinct: Object.keys(totals).length, top };
}

module.exports = { split, count, merge };
