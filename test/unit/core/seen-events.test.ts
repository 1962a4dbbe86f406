import { hasSeen, rememberSeen } from '../../../lib/core/seen-events';

describe('seen event ids', () => {
  it('answers like a scan, for small and large lists, as ids are remembered and trimmed', () => {
    const ids: string[] = [];
    const max = 500;
    for (let n = 0; n < 2_000; n += 1) {
      rememberSeen(ids, `event-${n}`, max);
      // Probe the newest, one just trimmed, one never seen, and one in the middle.
      for (const probe of [`event-${n}`, `event-${n - max}`, `event-${n + 1}`, `event-${Math.floor(n / 2)}`]) {
        expect(hasSeen(ids, probe)).toBe(ids.includes(probe));
      }
    }
    expect(ids).toHaveLength(max);
    expect(ids[0]).toBe('event-1500');
  });

  it('sees what a copy of the list holds, and not what is added to the original afterwards', () => {
    const original = Array.from({ length: 100 }, (_, n) => `e${n}`);
    expect(hasSeen(original, 'e50')).toBe(true);
    const copy = [...original];
    rememberSeen(original, 'late', 1_000);
    expect(hasSeen(original, 'late')).toBe(true);
    expect(hasSeen(copy, 'late')).toBe(false);
    expect(hasSeen(copy, 'e99')).toBe(true);
  });

  it('keeps an id remembered twice after one copy of it is trimmed', () => {
    const ids = Array.from({ length: 100 }, (_, n) => `e${n}`);
    rememberSeen(ids, 'e0', 1_000);
    expect(hasSeen(ids, 'e0')).toBe(true);
    rememberSeen(ids, 'next', 101);
    expect(ids.filter((id) => id === 'e0')).toHaveLength(1);
    expect(hasSeen(ids, 'e0')).toBe(true);
  });
});
