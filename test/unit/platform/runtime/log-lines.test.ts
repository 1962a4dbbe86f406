import { formatLogLine, limitLogEntries, LineSplitter, type LogEntry } from '../../../../lib/platform/runtime/log-lines';

const at = '2024-01-01T00:00:00.000Z';

describe('formatLogLine', () => {
  it.each([
    [{ time: at, stream: 'stdout', message: 'hello' }, '2024-01-01T00:00:00.000Z       stdout: hello'],
    [{ time: at, stream: 'stderr', message: 'oops\r' }, '2024-01-01T00:00:00.000Z       stderr: oops'],
    [{ time: '2017-10-12T12:37:36.891962157Z', stream: 'stdout', message: '  indented' }, '2017-10-12T12:37:36.891962157Z stdout:   indented'],
    [{ time: at, stream: 'stdout', message: '' }, '2024-01-01T00:00:00.000Z       stdout: '],
  ] as Array<[LogEntry, string]>)('formats %j as the invoker does (time padded to 30)', (entry, expected) => {
    expect(formatLogLine(entry)).toBe(expected);
  });
});

describe('LineSplitter', () => {
  it('joins lines split across chunks and keeps the unfinished tail', () => {
    const splitter = new LineSplitter();
    expect(splitter.push('fir')).toEqual([]);
    expect(splitter.push('st\nsec')).toEqual(['first']);
    expect(splitter.push('ond\r\nthird\n\nfourth')).toEqual(['second', 'third', '']);
    expect(splitter.flush()).toEqual(['fourth']);
    expect(splitter.flush()).toEqual([]);
  });
});

describe('limitLogEntries', () => {
  const entry = (message: string): LogEntry => ({ time: at, stream: 'stdout', message });

  it('keeps everything within the limit', () => {
    const entries = [entry('12345'), entry('67890')];
    expect(limitLogEntries(entries, 10, () => 'now')).toEqual(entries);
  });

  it('drops the line that exceeds the limit and all after it, then appends the notice', () => {
    const limited = limitLogEntries([entry('12345'), entry('678901'), entry('x')], 10, () => 'now');
    expect(limited).toEqual([
      entry('12345'),
      { time: 'now', stream: 'stderr', message: 'Logs were truncated because the total bytes size exceeds the limit of 10 bytes.' },
    ]);
  });

  it('counts UTF-8 bytes, not characters', () => {
    // 'é' is two bytes: three of them are 6 bytes.
    expect(limitLogEntries([entry('ééé')], 5, () => 'now')).toHaveLength(1);
    expect(limitLogEntries([entry('ééé')], 5, () => 'now')[0]?.message).toMatch(/^Logs were truncated/);
  });
});
