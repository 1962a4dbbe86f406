/** What the example tests expect of an example, computed here independently of its actions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Json } from '../../lib/model/json';
import { EXAMPLES_DIR } from './fixtures';

/** The expected output of examples/word-count, computed here independently of the example's actions. */
export function wordCountOf(path: string): Json {
  const words = readFileSync(join(EXAMPLES_DIR, path), 'utf8').toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  const totals = new Map<string, number>();
  for (const word of words) totals.set(word, (totals.get(word) ?? 0) + 1);
  const top = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
  return { words: words.length, distinct: totals.size, top };
}
