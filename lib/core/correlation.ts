/**
 * How an `event` stage (an `await` step) finds the event it waits for: a CloudEvent of its type
 * whose correlation key equals the key taken from the run's data. The key is a string or a number
 * in the data (a number is compared as its decimal text, as it arrives in a trigger parameter).
 */
import { InvalidInputError } from '../errors';
import type { AwaitStep } from '../model/compile';
import type { Json } from '../model/json';
import { selectInput } from './data-flow';

/** Longest correlation key: keys become parts of document ids and message keys. */
export const MAX_KEY_LENGTH = 200;

/** The correlation key the step waits on in `data`; a data-path error (catchable) when there is none. */
export function correlationKey(step: AwaitStep, data: Json): string {
  const value = selectInput(data, step.key);
  const key = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) {
    throw new InvalidInputError(`the correlation key at ${step.key} must be a non-empty string or a number (at most ${MAX_KEY_LENGTH} characters)`, {
      path: step.key, error: 'whiskflow.InvalidEventKey',
    });
  }
  return key;
}

/** One event from outside as a waiting stage receives it. */
export interface ExternalEvent {
  /** The CloudEvent id (a redelivery carries the same one). */
  id: string;
  type: string;
  key: string;
  data: Json;
  /** ISO 8601. */
  time: string;
  source?: string;
}

/**
 * The correlation key an incoming CloudEvent (structured JSON) carries: its `key` extension
 * attribute, else its `subject`; a number is taken as its decimal text.
 */
export function keyOfCloudEvent(event: Record<string, unknown>): string | undefined {
  const raw = event.key ?? event.subject;
  const key = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  return typeof key === 'string' && key !== '' && key.length <= MAX_KEY_LENGTH ? key : undefined;
}
