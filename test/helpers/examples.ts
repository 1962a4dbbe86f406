/** What the example tests share: reading an example's files, and the word count computed independently. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../lib/model/json';

export const EXAMPLES_DIR = join(__dirname, '../../examples');

export function exampleJson(path: string): Json {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, path), 'utf8')) as Json;
}

/** The expected output of examples/word-count, computed here independently of the example's actions. */
export function wordCountOf(path: string): Json {
  const words = readFileSync(join(EXAMPLES_DIR, path), 'utf8').toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  const totals = new Map<string, number>();
  for (const word of words) totals.set(word, (totals.get(word) ?? 0) + 1);
  const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
  return { words: words.length, distinct: totals.size, top };
}
