/**
 * Task keys name one attempt of one task: `<stageId>:<seq>:<index>:<attempt>`.
 * - `seq`: which visit of the stage (a choice may loop back, so a stage can run more than once);
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
  const parts = text.split(':');
  const [stageId, ...numbers] = parts;
  const [seq, index, attempt] = numbers.map(Number);
  if (parts.length !== 4 || !stageId || !isCount(seq, 1) || !isCount(index, 0) || !isCount(attempt, 1)) {
    throw new InvalidInputError(`task key '${text}' is not <stageId>:<seq>:<index>:<attempt>`, { taskKey: text });
  }
  return { stageId, seq, index, attempt };
}

/** The slot a task fills, without the attempt: `<stageId>:<seq>:<index>`. */
export function slotKey(key: TaskKey): string {
  return `${key.stageId}:${key.seq}:${key.index}`;
}

function isCount(value: number | undefined, minimum: number): value is number {
  return value !== undefined && Number.isInteger(value) && value >= minimum;
}
