/**
 * Comma-separated option values of the benches, each element read by one of the CLI's option
 * parsers (lib/cli/options.ts), so that a bad element is refused the way a bad single value is.
 */
import { InvalidArgumentError } from 'commander';
import type { OptionParser } from '../../../lib/cli/options';

/** Numbers, each read by `parse`; blank elements are dropped, so '' is the empty list (skip). */
export function numberList(parse: OptionParser): (value: string) => number[] {
  return (value) => value.split(',').map((part) => part.trim()).filter(Boolean).map(parse);
}

/** Some of `allowed`, e.g. 'redis,kafka'; blank elements are dropped, so '' is the empty list. */
export function choiceList<T extends string>(allowed: readonly T[]): (value: string) => T[] {
  return (value) => {
    const list = value.split(',').map((item) => item.trim()).filter(Boolean);
    for (const item of list) if (!(allowed as readonly string[]).includes(item)) throw new InvalidArgumentError(`expected a comma-separated list of ${allowed.join(', ')}`);
    return list as T[];
  };
}
