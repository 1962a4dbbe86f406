/**
 * Checks the runtime's numeric options before the pool starts: a value out of range (a niceness of
 * 25, a negative budget) is the caller's mistake and is named, not silently clamped into another
 * setting than the one asked for.
 */
import { InvalidInputError } from '../../errors';

interface Range {
  min: number;
  max?: number;
  integer: boolean;
}

/** How much lower a container's CPU priority is than the platform's: the range of nice(1)'s increment. */
export const CONTAINER_NICE_RANGE = { min: 0, max: 19, integer: true } as const;

const RANGES = {
  userMemoryMb: { min: Number.MIN_VALUE, integer: false },
  maxContainers: { min: 1, integer: true },
  idleTimeoutMs: { min: 0, integer: false },
  prewarmCount: { min: 0, integer: true },
  containerNice: CONTAINER_NICE_RANGE,
} satisfies Record<string, Range>;

export type CheckedRuntimeOption = keyof typeof RANGES;

/** Throws InvalidInputError naming the first option (of those given) that is out of its range. */
export function checkRuntimeOptions(options: Partial<Record<CheckedRuntimeOption, number | undefined>>): void {
  for (const [name, range] of Object.entries(RANGES) as [CheckedRuntimeOption, Range][]) {
    const value = options[name];
    if (value === undefined || inRange(value, range)) continue;
    throw new InvalidInputError(`runtime option ${name}: expected ${describeRange(range)} (got ${String(value)})`, { option: name, value });
  }
}

function inRange(value: number, range: Range): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= range.min && (range.max === undefined || value <= range.max) && (!range.integer || Number.isInteger(value));
}

function describeRange(range: Range): string {
  const kind = range.integer ? 'a whole number' : 'a number';
  if (range.max !== undefined) return `${kind} from ${range.min} to ${range.max}`;
  return range.min === Number.MIN_VALUE ? `${kind} above 0` : `${kind} of at least ${range.min}`;
}
