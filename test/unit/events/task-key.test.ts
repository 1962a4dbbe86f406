import { formatTaskKey, parseTaskKey, slotKey } from '../../../lib/events/task-key';

describe('task keys', () => {
  it('round-trip stage, visit, index and attempt', () => {
    const key = { stageId: 'word-count_2', seq: 3, index: 41, attempt: 2 };
    expect(formatTaskKey(key)).toBe('word-count_2:3:41:2');
    expect(parseTaskKey('word-count_2:3:41:2')).toEqual(key);
    expect(slotKey(key)).toBe('word-count_2:3:41');
  });

  it.each(['', 'a', 'a:1:0', 'a:1:0:0', 'a:0:0:1', 'a:1:-1:1', 'a:1:0:1:9', ':1:0:1', 'a:1.5:0:1', 'a:x:0:1', 'a:1::1', 'a: 1:0:1', 'a:0x1:0:1', 'a:1e3:0:1', 'a:1:0:'])('rejects %j', (text) => {
    expect(() => parseTaskKey(text)).toThrow(/is not <stageId>:<seq>:<index>:<attempt>/);
  });
});
