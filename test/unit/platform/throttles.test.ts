import { Throttles } from '../../../lib/platform/throttles';
import { hasErrorCode } from '../../../lib/errors';

describe('Throttles', () => {
  test('invocations per minute: the one over the limit is refused with the controller text, the next minute starts afresh', () => {
    let now = 60_000 * 10;
    const throttles = new Throttles({ invocationsPerMinute: 3, concurrentInvocations: 100, firesPerMinute: 100 }, () => now);
    for (let i = 0; i < 3; i++) throttles.admitInvocation('guest');
    let refused: unknown;
    try { throttles.admitInvocation('guest'); } catch (error) { refused = error; }
    expect(hasErrorCode(refused, 'THROTTLED')).toBe(true);
    expect((refused as Error).message).toBe('Too many requests in the last minute (count: 4, allowed: 3).');
    // Other namespaces have their own count.
    expect(() => throttles.admitInvocation('other')).not.toThrow();
    now += 60_000;
    expect(() => throttles.admitInvocation('guest')).not.toThrow();
  });

  test('concurrent activations: refused while the limit is in flight, admitted again after one leaves', () => {
    const throttles = new Throttles({ invocationsPerMinute: 1000, concurrentInvocations: 2, firesPerMinute: 100 });
    const leaveFirst = throttles.enter('guest');
    throttles.enter('guest');
    expect(() => throttles.admitInvocation('guest')).toThrow('Too many concurrent requests in flight (count: 2, allowed: 2).');
    leaveFirst();
    leaveFirst(); // leaving twice must not free a second slot
    expect(throttles.concurrent('guest')).toBe(1);
    expect(() => throttles.admitInvocation('guest')).not.toThrow();
  });

  test('trigger fires have their own per-minute limit', () => {
    const throttles = new Throttles({ invocationsPerMinute: 1000, concurrentInvocations: 10, firesPerMinute: 1 }, () => 0);
    throttles.admitFire('guest');
    expect(() => throttles.admitFire('guest')).toThrow('Too many requests in the last minute (count: 2, allowed: 1).');
  });
});
