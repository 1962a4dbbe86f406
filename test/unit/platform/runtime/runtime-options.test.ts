import { InvalidInputError } from '../../../../lib/errors';
import { checkRuntimeOptions, defaultUserMemoryMb } from '../../../../lib/platform/runtime/runtime-options';

describe('the runtime\'s numeric options', () => {
  it('accepts values in range, and options not given', () => {
    expect(() => checkRuntimeOptions({})).not.toThrow();
    expect(() => checkRuntimeOptions({ userMemoryMb: 0.5, maxContainers: 1, idleTimeoutMs: 0, prewarmCount: 0, containerNice: 0 })).not.toThrow();
    expect(() => checkRuntimeOptions({ containerNice: 19, maxContainers: 48, userMemoryMb: 8192 })).not.toThrow();
  });

  it.each([
    [{ containerNice: 20 }, 'runtime option containerNice: expected a whole number from 0 to 19 (got 20)'],
    [{ containerNice: -1 }, 'runtime option containerNice: expected a whole number from 0 to 19 (got -1)'],
    [{ containerNice: 2.5 }, 'runtime option containerNice: expected a whole number from 0 to 19 (got 2.5)'],
    [{ maxContainers: 0 }, 'runtime option maxContainers: expected a whole number of at least 1 (got 0)'],
    [{ userMemoryMb: 0 }, 'runtime option userMemoryMb: expected a number above 0 (got 0)'],
    [{ userMemoryMb: Number.NaN }, 'runtime option userMemoryMb: expected a number above 0 (got NaN)'],
    [{ idleTimeoutMs: -5 }, 'runtime option idleTimeoutMs: expected a number of at least 0 (got -5)'],
    [{ prewarmCount: Number.POSITIVE_INFINITY }, 'runtime option prewarmCount: expected a whole number of at least 0 (got Infinity)'],
  ])('refuses %j, naming the option and what it expects', (options, message) => {
    expect(() => checkRuntimeOptions(options)).toThrow(new InvalidInputError(message));
  });
});

describe('the default user memory', () => {
  const GB = 1024 ** 3;

  it.each([
    [2, 4096], // 16 containers of 256 MB
    [8, 16384], // 64
    [24, 49152], // 192: a fan-out of 80 runs at once
  ])('on %i GB counts as many 256 MB containers as half the memory holds at 64 MB each: %i MB', (gb, mb) => {
    expect(defaultUserMemoryMb(gb * GB)).toBe(mb);
  });

  it('holds at least 4 and at most 256 default containers', () => {
    expect(defaultUserMemoryMb(0.25 * GB)).toBe(1024);
    expect(defaultUserMemoryMb(512 * GB)).toBe(65536);
  });
});
