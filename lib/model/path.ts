/**
 * Data paths: a deliberately small subset of JSONPath, as in Amazon States Language's InputPath /
 * ResultPath / OutputPath.
 *
 * Grammar: `$` (the whole data), followed by any number of `.name` (object member; letters, digits,
 * `_` and `-`, not starting with a digit) or `[n]` (array element). Examples: `$`, `$.order.items`,
 * `$.chunks[0].text`. No wildcards, filters or slices: a path names exactly one place, so selection
 * and assignment stay total and predictable.
 */
import { InvalidInputError, InvalidWorkflowError } from '../errors';
import { isJsonObject, type Json, type JsonObject } from './json';

export type PathSegment = { kind: 'member'; name: string } | { kind: 'index'; index: number };

/** The regular expression the JSON Schema also uses, kept in one place. */
export const DATA_PATH_PATTERN = '^\\$((\\.[A-Za-z_][A-Za-z0-9_-]*)|(\\[[0-9]+\\]))*$';
const SEGMENT = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[([0-9]+)\]/y;

/** Split a path into segments; `where` names the workflow field for the error. */
export function parseDataPath(path: string, where = ''): PathSegment[] {
  if (!path.startsWith('$')) throw new InvalidWorkflowError(where, path, 'a data path starting with `$` such as `$.a.b`');
  const segments: PathSegment[] = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < path.length) {
    const at = SEGMENT.lastIndex;
    const match = SEGMENT.exec(path);
    if (!match) throw new InvalidWorkflowError(where, path, `a data path like \`$.a.b\` or \`$.a[0]\` (bad segment at character ${at})`);
    if (match[1] !== undefined) segments.push({ kind: 'member', name: match[1] });
    else segments.push({ kind: 'index', index: Number(match[2]) });
  }
  return segments;
}

/** The value at `path`, or `undefined` when any segment is missing. */
export function selectPath(data: Json, path: string): Json | undefined {
  let current: Json | undefined = data;
  for (const segment of parseDataPath(path)) {
    if (current === undefined) return undefined;
    if (segment.kind === 'member') current = isJsonObject(current) ? current[segment.name] : undefined;
    else current = Array.isArray(current) ? current[segment.index] : undefined;
  }
  return current;
}

/**
 * A copy of `data` with `value` placed at `path`; `$` replaces the whole data. Missing objects on the
 * way are created. Writing a member into a non-object (or an index into a non-array) is a run-time
 * error rather than a silent overwrite, because it almost always means the workflow's paths are wrong.
 */
export function assignPath(data: Json, path: string, value: Json): Json {
  return assignSegments(data, parseDataPath(path), value, path);
}

function assignSegments(data: Json | undefined, segments: PathSegment[], value: Json, path: string): Json {
  const [head, ...rest] = segments;
  if (head === undefined) return value;
  if (head.kind === 'member') {
    const container: JsonObject = data === undefined || data === null ? {} : requireObject(data, path);
    return { ...container, [head.name]: assignSegments(container[head.name], rest, value, path) };
  }
  if (!Array.isArray(data)) {
    throw new InvalidInputError(`cannot write ${path}: an index needs an array`, { path, found: typeOf(data) });
  }
  const copy = [...data];
  while (copy.length < head.index) copy.push(null);
  copy[head.index] = assignSegments(copy[head.index], rest, value, path);
  return copy;
}

function requireObject(data: Json, path: string): JsonObject {
  if (isJsonObject(data)) return data;
  throw new InvalidInputError(`cannot write ${path}: a member needs an object`, { path, found: typeOf(data) });
}

function typeOf(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
