/** Parsers of command-line option values shared by the commands; each names the option it refuses. */
import { InvalidInputError } from '../errors';

export function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidInputError(`${flag} must be a positive integer, got '${value}'`, { flag, value });
    return parsed;
  };
}
