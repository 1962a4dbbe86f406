import { StartGate, defaultMaxConcurrentStarts } from '../../../../lib/platform/runtime/start-gate';

describe('StartGate', () => {
  it('has room until max starts are tracked, and again (with a call back) when one settles', async () => {
    const gate = new StartGate(2);
    const settled: string[] = [];
    let finishFirst!: () => void;
    let failSecond!: (error: Error) => void;
    gate.track(new Promise<void>((resolve) => { finishFirst = resolve; }), () => settled.push('first'));
    expect(gate.hasRoom).toBe(true);
    gate.track(new Promise<void>((_, reject) => { failSecond = reject; }), () => settled.push('second'));
    expect(gate.hasRoom).toBe(false);
    failSecond(new Error('init failed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect([gate.hasRoom, settled]).toEqual([true, ['second']]);
    finishFirst();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual(['second', 'first']);
  });

  it('allows at least 4 starts by default', () => {
    expect(defaultMaxConcurrentStarts()).toBeGreaterThanOrEqual(4);
  });
});
