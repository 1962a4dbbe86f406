import { ContainerLog } from '../../../../lib/platform/runtime/activation-logs';
import { ACTIVATION_SENTINEL } from '../../../../lib/platform/runtime/messages';

const END = `${ACTIVATION_SENTINEL}\n`;
const messagesOf = (entries: Array<{ stream: string; message: string }>): string[] => entries.map((e) => `${e.stream}:${e.message}`);

describe('ContainerLog', () => {
  it('cuts an activation at the sentinel of each stream', () => {
    const log = new ContainerLog(1024, () => 't');
    log.push('stdout', 'one\ntwo\n');
    log.push('stderr', 'warn\n');
    expect(log.hasActivationEnd()).toBe(false);
    log.push('stdout', END);
    expect(log.hasActivationEnd()).toBe(false);
    log.push('stderr', END);
    expect(log.hasActivationEnd()).toBe(true);
    expect(messagesOf(log.takeActivation())).toEqual(['stdout:one', 'stdout:two', 'stderr:warn']);
    expect(log.hasActivationEnd()).toBe(false);
  });

  it('keeps lines written after a stream ended for the next activation', () => {
    const log = new ContainerLog(1024, () => 't');
    log.push('stdout', `first\n${END}late\n`);
    log.push('stderr', END);
    expect(messagesOf(log.takeActivation())).toEqual(['stdout:first']);
    log.push('stdout', `second\n${END}`);
    log.push('stderr', END);
    expect(messagesOf(log.takeActivation())).toEqual(['stdout:late', 'stdout:second']);
  });

  it('separates a sentinel glued to output written without a final newline', () => {
    const log = new ContainerLog(1024, () => 't');
    log.push('stdout', `no newline${END}`);
    log.push('stderr', END);
    expect(log.hasActivationEnd()).toBe(true);
    expect(messagesOf(log.takeActivation())).toEqual(['stdout:no newline']);
  });

  it('waits for a sentinel split across chunks', () => {
    const log = new ContainerLog(1024, () => 't');
    log.push('stdout', ACTIVATION_SENTINEL.slice(0, 10));
    log.push('stderr', END);
    expect(log.hasActivationEnd()).toBe(false);
    log.push('stdout', `${ACTIVATION_SENTINEL.slice(10)}\n`);
    expect(log.hasActivationEnd()).toBe(true);
  });

  it('takes every line but the sentinels when an activation ended abnormally', () => {
    const log = new ContainerLog(1024, () => 't');
    log.push('stdout', `a\n${END}b`);
    log.end();
    expect(messagesOf(log.takeAll())).toEqual(['stdout:a', 'stdout:b']);
    expect(log.takeAll()).toEqual([]);
  });

  it('stops buffering one line past its bound, so the taker still sees the overflow', () => {
    const log = new ContainerLog(4, () => 't');
    log.push('stdout', 'abc\ndef\nghi\n');
    expect(messagesOf(log.takeAll())).toEqual(['stdout:abc', 'stdout:def']);
  });

  it('tells listeners when lines arrive', () => {
    const log = new ContainerLog(1024, () => 't');
    const seen: boolean[] = [];
    log.onLines(() => seen.push(log.hasActivationEnd()));
    log.push('stdout', END);
    log.push('stderr', 'partial');
    log.push('stderr', `\n${END}`);
    expect(seen).toEqual([false, true]);
  });
});
