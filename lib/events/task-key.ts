/**
 * Task keys name one attempt of one task: `<stageId>:<seq>:<index>:<attempt>`.
 * - `seq`: which visit of the stage: the n-th time the run entered it (a choice may loop back, so a
 *   stage can run more than once), 1 for the first. One meaning in both runtimes (the native runtime
 *   counts visits on its transitions; a parallel branch of several stages, a child run there, counts
 *   its own). Native's transition number is a storage coordinate of its own, `position` (lib/store/run-documents.ts);
 * - `index`: the element of a map (0 for a task or reduce);
 * - `attempt`: 1 for the first try, 2 for the first retry, ...
 * Stage ids cannot contain `:` (see the schema), so the key splits back unambiguously. Everything
 * but the attempt names the *slot* a result fills; the attempt tells a stale failure from a live one.
 */
import { InvalidInputError } from '../errors';

export interface TaskKey {
  stageId: string;
  seq: number;
  index: number;
  attempt: number;
}

export function formatTaskKey(key: TaskKey): string {
  return `${key.stageId}:${key.seq}:${key.index}:${key.attempt}`;
}

export function parseTaskKey(text: string): TaskKey {
  // Parsed for every event the engines apply, so without split/map allocations: the three numbers
  // follow the last three colons.
  const third = text.lastIndexOf(':');
  const second = third > 0 ? text.lastIndexOf(':', third - 1) : -1;
  const first = second > 0 ? text.lastIndexOf(':', second - 1) : -1;
  const stageId = first > 0 ? text.slice(0, first) : '';
  const seq = decimal(text, first + 1, second);
  const index = decimal(text, second + 1, third);
  const attempt = decimal(text, third + 1, text.length);
  if (first <= 0 || stageId.includes(':') || seq < 1 || index < 0 || attempt < 1) {
    throw new InvalidInputError(`task key '${text}' is not <stageId>:<seq>:<index>:<attempt>`, { taskKey: text });
  }
  return { stageId, seq, index, attempt };
}

/** The non-negative integer written in `text[from, to)` in plain decimal digits; -1 if it is not one. */
function decimal(text: string, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1;
  let value = 0;
  for (let position = from; position < to; position += 1) {
    const digit = text.charCodeAt(position) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** The slot a task fills, without the attempt: `<stageId>:<seq>:<index>`. */
export function slotKey(key: TaskKey): string {
  return `${key.stageId}:${key.seq}:${key.index}`;
}
