import { serializeError } from '../../../../lib/platform/runtime/serialize-error';

describe('serializeError', () => {
  it('keeps the non-enumerable name, message and stack of errors, and their own fields', () => {
    const error = Object.assign(new TypeError('bad'), { code: 'E_BAD' });
    const plain = serializeError(error) as Record<string, unknown>;
    expect(plain).toMatchObject({ name: 'TypeError', message: 'bad', code: 'E_BAD' });
    expect(String(plain['stack'])).toContain('TypeError: bad');
    expect(JSON.parse(JSON.stringify(plain))).toEqual(plain);
  });

  it.each([
    ['a string', 'a string'],
    [42, 42],
    [null, null],
    [{ error: 'x', nested: [1, { a: 2 }] }, { error: 'x', nested: [1, { a: 2 }] }],
  ])('passes %j through as plain data', (value, expected) => {
    expect(serializeError(value)).toEqual(expected);
  });

  it('replaces cycles and functions with markers', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    cyclic['fn'] = function helper(): void {};
    expect(serializeError(cyclic)).toEqual({ name: 'loop', self: '[Circular]', fn: '[Function: helper]' });
  });
});
