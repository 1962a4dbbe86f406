import { emptyJoin, recordArrival, recordArrivalInPlace, type JoinContext } from '../../../lib/conditions/join';

describe('join condition', () => {
  it('fires exactly once, when the last slot arrives, with results in slot order', () => {
    let context: JoinContext = emptyJoin(3);
    const verdicts: string[] = [];
    for (const [slot, result] of [[2, 'c'], [0, 'a'], [2, 'c-again'], [1, 'b'], [1, 'b-again']] as const) {
      const verdict = recordArrival(context, slot, result);
      verdicts.push(verdict.kind);
      if (verdict.kind === 'complete') expect(verdict.results).toEqual(['a', 'b', 'c']);
      context = verdict.context;
    }
    expect(verdicts).toEqual(['waiting', 'waiting', 'duplicate', 'complete', 'duplicate']);
  });

  it('returns a new context and leaves the old one as it was', () => {
    const before = emptyJoin(2);
    const verdict = recordArrival(before, 0, 1);
    expect(before.arrived).toEqual({});
    expect(verdict.context.arrived).toEqual({ '0': 1 });
    expect(verdict.kind === 'waiting' && verdict.missing).toBe(1);
  });

  it('keeps the first result of a slot', () => {
    const first = recordArrival(emptyJoin(2), 0, 'first').context;
    const again = recordArrival(first, 0, 'second');
    expect(again.kind).toBe('duplicate');
    expect(again.context.arrived['0']).toBe('first');
  });

  it.each([-1, 3, 1.5])('rejects slot %s outside the join', (slot) => {
    expect(() => recordArrival(emptyJoin(3), slot, null)).toThrow(RangeError);
  });

  it('records in place into a context its caller owns, counting without rescanning', () => {
    const context = emptyJoin(3);
    expect(recordArrivalInPlace(context, 1, 'b').context).toBe(context);
    expect(recordArrivalInPlace(context, 1, 'b-again').kind).toBe('duplicate');
    expect(context).toEqual({ expected: 3, arrived: { '1': 'b' }, count: 1 });
    recordArrivalInPlace(context, 0, 'a');
    const last = recordArrivalInPlace(context, 2, 'c');
    expect(last.kind === 'complete' && last.results).toEqual(['a', 'b', 'c']);
  });

  it('counts the slots of a context stored before the count was kept', () => {
    const stored: JoinContext = { expected: 3, arrived: { '0': 'a', '2': 'c' } };
    const verdict = recordArrival(stored, 1, 'b');
    expect(verdict.kind === 'complete' && verdict.results).toEqual(['a', 'b', 'c']);
    expect(stored).toEqual({ expected: 3, arrived: { '0': 'a', '2': 'c' } });
  });
});
