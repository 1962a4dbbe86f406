/**
 * Parsers of command-line option values shared by the commands.
 *
 * They throw commander's `InvalidArgumentError` with only what was expected: commander recognises
 * it (by its code) and reports `option '--x <n>' argument 'abc' is invalid. <expected>` with the
 * command's usage, so the message names the option and the value however the option was spelled.
 * Any other error would escape commander as a bare exception, without the option's name.
 */
import { InvalidArgumentError } from 'commander';
import { InvalidInputError } from '../errors';

export type OptionParser = (value: string) => number;

/** 1, 2, 3, ... */
export const positiveInteger: OptionParser = integerBetween(1, Number.POSITIVE_INFINITY, 'expected a positive integer');

/** 0, 1, 2, ... */
export const nonNegativeInteger: OptionParser = integerBetween(0, Number.POSITIVE_INFINITY, 'expected a whole number (0 or more)');

/** A TCP port; 0 lets the system choose a free one. */
export const portNumber: OptionParser = integerBetween(0, 65535, 'expected a port number 0..65535');

/** How much lower a process's CPU priority is than its parent's (0: the same): the range of nice(1)'s increment. */
export const niceLevel: OptionParser = integerBetween(0, 19, 'expected an integer 0..19');

/**
 * The default of an option from the environment variable `name`: unset or blank is no default,
 * anything else must be a positive integer (a bad value is refused, not silently ignored).
 */
export function positiveIntegerFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return integerFromEnv(name, 1, 'a positive integer', env);
}

/** As {@link positiveIntegerFromEnv}, for a niceness: 0..19. */
export function niceLevelFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return integerFromEnv(name, 0, 'an integer 0..19', env, 19);
}

function integerFromEnv(name: string, min: number, expected: string, env: NodeJS.ProcessEnv, max = Number.POSITIVE_INFINITY): number | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidInputError(`${name} must be ${expected}, not '${value}'`, { variable: name, value });
  return parsed;
}

function integerBetween(min: number, max: number, expected: string): OptionParser {
  return (value) => {
    // Number() rather than parseInt(): '12abc' and '1.5' are refused, not read as 12 and 1.
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(expected);
    return parsed;
  };
}
