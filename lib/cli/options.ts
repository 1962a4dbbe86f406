/**
 * Parsers of command-line option values shared by the commands, and of the environment variables
 * that give some of them their defaults. Each kind of value is one range, read the same way by both.
 *
 * Option parsers throw commander's `InvalidArgumentError` with only what was expected: commander
 * recognises it (by its code) and reports `option '--x <n>' argument 'abc' is invalid. <expected>`
 * with the command's usage, so the message names the option and the value however the option was
 * spelled. Any other error would escape commander as a bare exception, without the option's name.
 */
import { InvalidArgumentError } from 'commander';
import { InvalidInputError } from '../errors';
import { CONTAINER_NICE_RANGE } from '../platform/runtime';

export type OptionParser = (value: string) => number;

/** Whole numbers from `min` to `max`; `what` names them in messages ("a positive integer"). */
interface IntegerRange {
  min: number;
  max: number;
  what: string;
}

const POSITIVE: IntegerRange = { min: 1, max: Number.POSITIVE_INFINITY, what: 'a positive integer' };
const NON_NEGATIVE: IntegerRange = { min: 0, max: Number.POSITIVE_INFINITY, what: 'a whole number (0 or more)' };
const PORT: IntegerRange = { min: 0, max: 65535, what: 'a port number 0..65535' };
/** The platform's container niceness (0: the same priority as the platform). */
const NICE: IntegerRange = { min: CONTAINER_NICE_RANGE.min, max: CONTAINER_NICE_RANGE.max, what: `an integer ${CONTAINER_NICE_RANGE.min}..${CONTAINER_NICE_RANGE.max}` };

/** 1, 2, 3, ... */
export const positiveInteger: OptionParser = optionParser(POSITIVE);

/** 0, 1, 2, ... */
export const nonNegativeInteger: OptionParser = optionParser(NON_NEGATIVE);

/** A TCP port; 0 lets the system choose a free one. */
export const portNumber: OptionParser = optionParser(PORT);

export const niceLevel: OptionParser = optionParser(NICE);

/**
 * The default of an option from the environment variable `name`: unset or blank is no default,
 * anything else must be a positive integer (a bad value is refused, not silently ignored).
 */
export function positiveIntegerFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return integerFromEnv(name, POSITIVE, env);
}

/** As {@link positiveIntegerFromEnv}, for a niceness: 0..19. */
export function niceLevelFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  return integerFromEnv(name, NICE, env);
}

/** The value when it is a whole number in `range`, else undefined. */
function integerIn(range: IntegerRange, value: string): number | undefined {
  // Number() rather than parseInt(): '12abc' and '1.5' are refused, not read as 12 and 1.
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed >= range.min && parsed <= range.max ? parsed : undefined;
}

function optionParser(range: IntegerRange): OptionParser {
  return (value) => {
    const parsed = integerIn(range, value);
    if (parsed === undefined) throw new InvalidArgumentError(`expected ${range.what}`);
    return parsed;
  };
}

function integerFromEnv(name: string, range: IntegerRange, env: NodeJS.ProcessEnv): number | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = integerIn(range, value);
  if (parsed === undefined) throw new InvalidInputError(`${name} must be ${range.what}, not '${value}'`, { variable: name, value });
  return parsed;
}
