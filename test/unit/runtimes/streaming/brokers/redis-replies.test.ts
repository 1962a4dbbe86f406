import { entryKeyAndValue, parseAutoClaimReply, parseReadGroupReply } from '../../../../../lib/runtimes/streaming/brokers/redis-replies';

describe('parseReadGroupReply', () => {
  test('null (BLOCK ran out) is no entries', () => {
    expect(parseReadGroupReply(null).size).toBe(0);
  });

  test('groups entries by stream, trimmed entries keeping a null body', () => {
    const reply = [
      ['s:0', [['1-0', ['k', 'run-1', 'v', '{"a":1}']], ['2-0', null]]],
      ['s:1', []],
    ];
    const parsed = parseReadGroupReply(reply);
    expect(parsed.get('s:0')).toEqual([{ id: '1-0', fields: ['k', 'run-1', 'v', '{"a":1}'] }, { id: '2-0', fields: null }]);
    expect(parsed.get('s:1')).toEqual([]);
  });

  test.each([[{}], ['x'], [[['s', 'not-entries']]], [[['s', [[1, []]]]]]])('rejects the malformed reply %p', (reply) => {
    expect(() => parseReadGroupReply(reply)).toThrow(TypeError);
  });
});

describe('entryKeyAndValue', () => {
  test.each([
    [{ id: '1-0', fields: ['k', 'run-1', 'v', '{}'] }, { key: 'run-1', value: '{}' }],
    [{ id: '1-0', fields: ['v', '{}', 'k', 'run-2'] }, { key: 'run-2', value: '{}' }],
    [{ id: '1-0', fields: null }, undefined],
    [{ id: '1-0', fields: ['k', 'run-1'] }, undefined],
  ])('%p -> %p', (entry, expected) => {
    expect(entryKeyAndValue(entry)).toEqual(expected);
  });
});

describe('parseAutoClaimReply', () => {
  test('reads the cursor of Redis 6.2 and 7 replies', () => {
    expect(parseAutoClaimReply(['0-0', ['1-0', '2-0']])).toEqual({ cursor: '0-0', claimed: 2 });
    expect(parseAutoClaimReply(['5-0', ['1-0'], []])).toEqual({ cursor: '5-0', claimed: 1 });
  });

  test('rejects anything else', () => {
    expect(() => parseAutoClaimReply(null)).toThrow(TypeError);
  });
});
