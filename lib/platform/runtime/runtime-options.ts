/**
 * Checks the runtime's numeric options before the pool starts: a value out of range (a niceness of
 * 25, a negative budget) is the caller's mistake and is named, not silently clamped into another
 * setting than the one asked for.
 */
import * as os from 'node:os';
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

/** OpenWhisk's default action memory limit (MB). */
export const DEFAULT_ACTION_MEMORY_MB = 256;
/**
 * What a warm local container really holds, rounded up: a Node.js process running the action proxy
 * and a small action is 50-60 MB resident, whatever its action's memory limit.
 */
export const CONTAINER_FOOTPRINT_MB = 64;
const DEFAULT_USER_MEMORY_MIN_MB = 1024;
/** 256 containers of the default 256 MB: beyond that, process start-up and CPU, not memory, limit a machine. */
const DEFAULT_USER_MEMORY_MAX_MB = 65536;

/**
 * The default user memory of the local pool (the `userMemoryMb` the containers' memory limits are
 * counted against, as by OpenWhisk's invoker): as many containers of the default 256 MB as half the
 * machine's memory really holds at 64 MB each, between 1024 and 65536 MB (8 GB of memory: 64
 * containers, 16384 MB; 24 GB: 192 containers).
 *
 * Why not half the machine's memory: an invoker's containers reserve their memory limit (Docker's
 * --memory), so its user memory is memory it has. A local container is a process that reserves
 * nothing and uses about a quarter of the default limit, so a budget of half the memory counted at
 * 256 MB per container (32 containers on a dev machine) ran a fan-out of 80 20-second functions in
 * three waves, 63-67 s instead of about 20, with most of that memory unused. The accounting is still
 * the invoker's (each container at its action's limit, a 512 MB action takes two default slots);
 * `--user-memory` / WHISKFLOW_LOCAL_USER_MEMORY_MB sets a real invoker's value (2048 MB in
 * OpenWhisk's Ansible deployment) to reproduce its waves.
 */
export function defaultUserMemoryMb(totalMemoryBytes = os.totalmem()): number {
  const containers = Math.floor(totalMemoryBytes / 2 / (1024 * 1024) / CONTAINER_FOOTPRINT_MB);
  return Math.min(DEFAULT_USER_MEMORY_MAX_MB, Math.max(DEFAULT_USER_MEMORY_MIN_MB, containers * DEFAULT_ACTION_MEMORY_MB));
}
