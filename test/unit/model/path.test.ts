import { hasErrorCode } from '../../../lib/errors';
import type { Json } from '../../../lib/model/json';
import workflowSchema from '../../../schemas/workflow.schema.json';
import { assignPath, DATA_PATH_PATTERN, parseDataPath, selectPath } from '../../../lib/model/path';

const data: Json = { order: { items: [{ sku: 'a', qty: 2 }, { sku: 'b', qty: 0 }], note: null }, total: 7 };

describe('selectPath', () => {
  it.each<[string, Json | undefined]>([
    ['$', data],
    ['$.total', 7],
    ['$.order.items[1].sku', 'b'],
    ['$.order.items[1].qty', 0],
    ['$.order.note', null],
    ['$.order.missing', undefined],
    ['$.order.items[5]', undefined],
    ['$.total.deeper', undefined],
    ['$.order[0]', undefined],
  ])('%s', (path, expected) => {
    expect(selectPath(data, path)).toEqual(expected);
  });
});

describe('assignPath', () => {
  it('replaces the whole data at $', () => {
    expect(assignPath(data, '$', [1])).toEqual([1]);
  });

  it('writes a member and keeps the rest, without changing the original', () => {
    const written = assignPath(data, '$.order.status', 'paid');
    expect(selectPath(written, '$.order.status')).toBe('paid');
    expect(selectPath(written, '$.order.items[0].sku')).toBe('a');
    expect(selectPath(data, '$.order.status')).toBeUndefined();
  });

  it('creates missing objects on the way', () => {
    expect(assignPath({}, '$.a.b.c', 1)).toEqual({ a: { b: { c: 1 } } });
    expect(assignPath(null, '$.a', 1)).toEqual({ a: 1 });
  });

  it('writes array elements, padding with null', () => {
    expect(assignPath({ list: [1] }, '$.list[2]', 3)).toEqual({ list: [1, null, 3] });
  });

  it.each<[Json, string]>([
    [{ a: 5 }, '$.a.b'],
    [[1, 2], '$.a'],
    [{ a: {} }, '$.a[0]'],
  ])('refuses to write %j at %s (a typed error, not a silent overwrite)', (target, path) => {
    let thrown: unknown;
    try {
      assignPath(target, path, 1);
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'INVALID_INPUT')).toBe(true);
  });
});

describe('parseDataPath', () => {
  it('splits members and indexes', () => {
    expect(parseDataPath('$.a[3].b-c')).toEqual([
      { kind: 'member', name: 'a' },
      { kind: 'index', index: 3 },
      { kind: 'member', name: 'b-c' },
    ]);
  });

  it.each(['a.b', '$.', '$..a', '$.a[x]', '$[-1]', '$.1a'])('rejects %s', (path) => {
    expect(() => parseDataPath(path, 'stages[0].input')).toThrow(/stages\[0\]\.input/);
  });
});

describe('the published schema', () => {
  it('uses the same data path grammar as the engine', () => {
    expect(workflowSchema.definitions.dataPath.pattern).toBe(DATA_PATH_PATTERN);
  });
});
